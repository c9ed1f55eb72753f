import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating-system account the server runs as.
///
/// PostgreSQL refuses to run as root, so a launcher started by root hands the data
/// folder to an unprivileged account (Debian's package creates `postgres`) and runs
/// `initdb` and `pg_ctl` as that account through `runuser`. Anyone else runs them as
/// themselves.
struct ServerAccount: Sendable {
    /// Nil when the caller is not root and runs the programs directly.
    let switchTo: (name: String, uid: uid_t, gid: gid_t)?

    static func current(preferredName: String) throws(LocalPostgresError) -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(switchTo: nil) }
        guard let entry = getpwnam(preferredName) else {
            throw LocalPostgresError(
                "running as root, and PostgreSQL refuses root: create the unprivileged account '\(preferredName)'"
                    + " (Debian's postgresql package does) or name another with LONGRUN_POSTGRES_USER"
            )
        }
        return ServerAccount(switchTo: (preferredName, entry.pointee.pw_uid, entry.pointee.pw_gid))
    }

    /// Gives a file or folder the launcher made to the account.
    func own(_ path: String) throws(LocalPostgresError) {
        guard let account = switchTo else { return }
        guard chown(path, account.uid, account.gid) == 0 else {
            throw LocalPostgresError("cannot hand \(path) to \(account.name): \(String(cString: strerror(errno)))")
        }
    }

    /// The command line that runs `arguments` as the account: through `runuser` when
    /// root (posix_spawn then starts it; swift-subprocess's own user switch forks the
    /// whole multithreaded process, which was seen to deadlock the child before exec).
    func commandLine(_ arguments: [String]) -> [String] {
        guard let account = switchTo else { return arguments }
        return ["runuser", "-u", account.name, "--"] + arguments
    }

    /// Whether the account can reach `folder`: every folder above it must let it pass.
    func canTraverse(_ folder: URL) -> Bool {
        guard let account = switchTo else { return true }
        var current = folder.deletingLastPathComponent()
        while current.path != "/" {
            var info = stat()
            if stat(current.path, &info) == 0 {
                let passes =
                    info.st_uid == account.uid
                    ? info.st_mode & S_IXUSR != 0
                    : info.st_gid == account.gid ? info.st_mode & S_IXGRP != 0 : info.st_mode & S_IXOTH != 0
                if !passes { return false }
            }
            current = current.deletingLastPathComponent()
        }
        return true
    }
}
