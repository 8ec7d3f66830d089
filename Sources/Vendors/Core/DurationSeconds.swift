/// DurationSeconds.swift: a `Duration` as a number of seconds, for messages and figures.

extension Duration {
    /// The duration in seconds, fractions included (`.milliseconds(1500)` is 1.5).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
