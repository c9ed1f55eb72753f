import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a file in the data folder, held for as long as a launcher
/// owns the server there.
///
/// The kernel drops the lock when its process dies however it dies, so a launcher that
/// gets the lock while a server is running knows that server is an orphan of a crashed
/// parent, and one that does not get it knows the server is in live use.
final class FolderLock: Sendable {
    /// Nil once released, so a second release cannot close a descriptor number that
    /// something else has reused meanwhile.
    private let descriptor: Mutex<Int32?>

    /// Nil when another live process holds the lock.
    init?(path: String) throws(LocalPostgresError) {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalPostgresError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = Mutex(descriptor)
    }

    func release() {
        descriptor.withLock { descriptor in
            guard let open = descriptor else { return }
            flock(open, LOCK_UN)
            close(open)
            descriptor = nil
        }
    }
}
