/// DurationText.swift: a duration written on the command line: a fault's latency (`50ms`),
/// a rate limit's window (`60s`, `2m`).

/// Reads a number with a unit, within what a `Duration` of nanoseconds holds.
enum DurationText {
    /// The longest accepted: a day (a fault or a window past it is a mistake, and past
    /// about 292 years the nanoseconds no longer fit the Int64 they are kept in).
    static let longest = Duration.seconds(86_400)

    /// `text` read with the first of `units` (suffix, seconds per unit) it ends with: a
    /// finite number from 0 to a day; nil otherwise (`inf`, `nan`, `1e300s`, `-5ms`, no unit).
    static func parse(_ text: some StringProtocol, units: [(suffix: String, seconds: Double)]) -> Duration? {
        guard let unit = units.first(where: { text.hasSuffix($0.suffix) }),
              let number = Double(text.dropLast(unit.suffix.count)), number.isFinite, number >= 0 else { return nil }
        let seconds = number * unit.seconds
        guard seconds <= Double(longest.components.seconds) else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
