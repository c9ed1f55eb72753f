import ArgumentParser
import Foundation
import LongrunCore
import LongrunNotifier

/// Flags of the processes that send webhooks.
struct NotifierOptions: ParsableArguments {
    @Option(
        help:
            "Webhook retry delays, comma-separated (env: LONGRUN_RETRY_SCHEDULE; default 5s,30s,2m,10m,30m,1h,3h,6h,12h,24h)."
    )
    var retrySchedule: String?

    @Option(help: "The longest wait for a receiver's answer (env: LONGRUN_SEND_TIMEOUT; default 30s).")
    var sendTimeout: DurationFlag?

    @Option(help: "Webhooks sent at once (env: LONGRUN_DELIVERY_CONCURRENCY; default 64).")
    var deliveryConcurrency: Int?

    @Option(help: "Ouro API base URL for log forwarding (env: LONGRUN_OURO_BASE_URL; default off).")
    var ouroBaseURL: String?

    @Option(help: "Ouro API key for log forwarding (env: LONGRUN_OURO_API_KEY).")
    var ouroAPIKey: String?

    func configuration(
        callbacks: CallbackOptions, shutdown: ShutdownOptions, developing: Bool = false
    ) throws
        -> NotifierConfiguration
    {
        let defaults = NotifierConfiguration()
        var schedule = defaults.retrySchedule
        if let text = try Setting.resolve(retrySchedule, environment: "LONGRUN_RETRY_SCHEDULE") {
            let delays = try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
                guard let delay = DurationFlag(argument: item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--retry-schedule holds \(item), which is not a duration like 5s or 2m")
                }
                return delay.duration
            }
            guard (1...100).contains(delays.count) else {
                throw ValidationError("--retry-schedule needs 1 to 100 delays")
            }
            schedule = DeliveryRetrySchedule(delays: delays)
        }
        let sendTimeout = try Setting.resolve(
            sendTimeout, environment: "LONGRUN_SEND_TIMEOUT", default: DurationFlag(duration: defaults.sendTimeout)
        ).duration
        guard sendTimeout > .zero else { throw ValidationError("--send-timeout must be above zero") }
        let concurrency = try Setting.resolve(
            deliveryConcurrency, environment: "LONGRUN_DELIVERY_CONCURRENCY", default: defaults.concurrency)
        guard (1...10_000).contains(concurrency) else {
            throw ValidationError("--delivery-concurrency must be 1 to 10000")
        }
        var ouro: OuroLogForwarding?
        let base = try Setting.resolve(ouroBaseURL, environment: "LONGRUN_OURO_BASE_URL")
        let key = try Setting.resolve(ouroAPIKey, environment: "LONGRUN_OURO_API_KEY")
        switch (base, key) {
        case (nil, nil): break
        case (let base?, let key?):
            guard let scheme = base.split(separator: ":").first?.lowercased(), scheme == "http" || scheme == "https"
            else { throw ValidationError("--ouro-base-url must be an http or https URL") }
            ouro = OuroLogForwarding(baseURL: base, apiKey: key)
        default:
            throw ValidationError("--ouro-base-url and --ouro-api-key go together")
        }
        return NotifierConfiguration(
            concurrency: concurrency, retrySchedule: schedule, sendTimeout: sendTimeout,
            shutdownGrace: try shutdown.grace(),
            allowPrivateCallbacks: try callbacks.allowsPrivate(developing: developing),
            ouro: ouro)
    }
}
