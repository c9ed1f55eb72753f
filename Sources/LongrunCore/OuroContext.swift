/// The six `ouro-*` headers a create request may carry, stored with the operation.
///
/// `webhookToken` is a secret: it is used when delivering and never shown back, so
/// `description` (what string interpolation and loggers print) leaves it out.
public struct OuroContext: Sendable, Hashable, CustomStringConvertible {
    public var webhookURL: String?
    public var webhookToken: String?
    public var actionID: String?
    public var routeID: String?
    public var routeOrgID: String?
    public var routeTeamID: String?

    public init(
        webhookURL: String? = nil, webhookToken: String? = nil, actionID: String? = nil, routeID: String? = nil,
        routeOrgID: String? = nil, routeTeamID: String? = nil
    ) {
        self.webhookURL = webhookURL
        self.webhookToken = webhookToken
        self.actionID = actionID
        self.routeID = routeID
        self.routeOrgID = routeOrgID
        self.routeTeamID = routeTeamID
    }

    public var description: String {
        let token = webhookToken == nil ? "nil" : "<redacted>"
        return
            "OuroContext(webhookURL: \(webhookURL ?? "nil"), webhookToken: \(token), actionID: \(actionID ?? "nil"), "
            + "routeID: \(routeID ?? "nil"), routeOrgID: \(routeOrgID ?? "nil"), routeTeamID: \(routeTeamID ?? "nil"))"
    }
}
