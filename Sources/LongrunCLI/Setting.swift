import ArgumentParser
import Foundation

/// Every flag also reads an environment variable (`LONGRUN_` + the flag in upper snake
/// case, or `DATABASE_URL`). A flag given on the command line wins over the variable,
/// and the variable over the default.
enum Setting {
    static func resolve<Value: ExpressibleByArgument>(
        _ flag: Value?,
        environment variable: String,
        default fallback: Value
    ) throws -> Value {
        try resolve(flag, environment: variable) ?? fallback
    }

    static func resolve<Value: ExpressibleByArgument>(
        _ flag: Value?,
        environment variable: String
    ) throws -> Value? {
        if let flag { return flag }
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return nil }
        guard let value = Value(argument: text) else {
            throw ValidationError("\(variable)=\(text) is not a valid value")
        }
        return value
    }

    /// A repeatable flag, or its variable as a comma-separated list.
    static func list<Value: ExpressibleByArgument>(_ flags: [Value], environment variable: String) throws -> [Value] {
        guard flags.isEmpty else { return flags }
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { item in
            guard let value = Value(argument: String(item)) else {
                throw ValidationError("\(variable) holds \(item), which is not a valid value")
            }
            return value
        }
    }
}
