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
}
