import LongrunCore
import PostgresNIO

// Core's JSON-shaped values travel as jsonb; the store never sees them as text.
extension JSONValue: PostgresCodable {}
extension OperationError: PostgresCodable {}
