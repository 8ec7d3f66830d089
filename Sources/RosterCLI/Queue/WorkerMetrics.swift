/// WorkerMetrics.swift: a worker's Prometheus metrics (swift-prometheus), served on
/// `--metrics-port`: queue depth, runs started and ended by outcome, vendor requests, 429s
/// and rate-budget waits by vendor (as its runs report them when they end).
import ArgumentParser
import Foundation
import Hummingbird
import Journal
import Logging
import Prometheus
import Synchronization
import Vendors

/// The metrics of one worker.
final class WorkerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let queued: Gauge
    private let running: Gauge
    private let started: Counter
    private let released: Counter

    init() {
        let queueRuns = Self.metric("roster_queue_runs", help: "Runs in the queue, by state (the whole queue, as this worker last read it).")
        queued = registry.makeGauge(descriptor: queueRuns, labels: [("state", "queued")])
        running = registry.makeGauge(descriptor: queueRuns, labels: [("state", "running")])
        started = registry.makeCounter(descriptor: Self.metric("roster_runs_started_total", help: "Runs this worker started (a resumed run counts again)."))
        released = registry.makeCounter(descriptor: Self.metric("roster_runs_released_total", help: "Runs this worker stopped and put back in the queue."))
    }

    func queue(_ depth: QueueDepth) {
        queued.set(Double(depth.queued))
        running.set(Double(depth.running))
    }

    /// Runs started, ended or released so far: the queue's depth is read again when it moves.
    var movements: Int { moved.load(ordering: .relaxed) }
    private let moved = Atomic<Int>(0)

    func runStarted() {
        started.increment()
        moved.add(1, ordering: .relaxed)
    }

    func runReleased() {
        released.increment()
        moved.add(1, ordering: .relaxed)
    }

    func runEnded(exitCode: Int) { runEnded(outcome: Self.outcome(exitCode)) }

    /// A run stopped because `roster cancel` asked for it.
    func runCancelled() { runEnded(outcome: "cancelled") }

    private func runEnded(outcome: String) {
        moved.add(1, ordering: .relaxed)
        registry.makeCounter(descriptor: Self.metric("roster_runs_ended_total", help: "Runs this worker ran to their end, by outcome."),
                             labels: [("outcome", outcome)]).increment()
    }

    /// What a run's vendor calls were, added to the worker's totals.
    func add(_ stats: [String: VendorCallStats.Counts]) {
        for (vendor, counts) in stats {
            registry.makeCounter(descriptor: Self.metric("roster_vendor_requests_total", help: "Requests sent to each vendor."), labels: [("vendor", vendor)])
                .increment(by: Int64(counts.requests))
            registry.makeCounter(descriptor: Self.metric("roster_vendor_rate_limited_total", help: "429 answers from each vendor."), labels: [("vendor", vendor)])
                .increment(by: Int64(counts.rateLimited))
            registry.makeCounter(descriptor: Self.metric("roster_rate_budget_waits_total", help: "Calls that waited for the shared rate budget before they were sent."), labels: [("vendor", vendor)])
                .increment(by: Int64(counts.budgetWaits))
        }
    }

    /// A metric named whole (no namespace or unit added), with its help text.
    static func metric(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The exit code's meaning, as a label.
    static func outcome(_ exitCode: Int) -> String {
        switch exitCode {
        case 0: "success"
        case 1: "script_error"
        case 2: "usage_error"
        case 3: "limit"
        case 4: "permission"
        case 5: "decision_needed"
        case 6: "stale_plan"
        case 130: "interrupted"
        default: exitCode > 128 ? "killed" : "error"
        }
    }
}

/// `GET /metrics` over Hummingbird.
struct MetricsServer {
    private let task: Task<Void, any Error>

    static func start(_ metrics: WorkerMetrics, address: String, port: Int) async throws -> MetricsServer {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        var logger = Logger(label: "roster.metrics")
        logger.logLevel = .critical
        let (bound, sink) = AsyncStream.makeStream(of: Int.self)
        let application = Application(router: router, configuration: .init(address: .hostname(address, port: port), serverName: "roster-worker"),
                                      onServerRunning: { channel in sink.yield(channel.localAddress?.port ?? port); sink.finish() }, logger: logger)
        let task = Task {
            defer { sink.finish() }
            try await application.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let listening = await iterator.next() else {
            let error = await task.result
            if case .failure(let failure) = error { throw failure }
            throw ValidationError("the metrics server did not start")
        }
        Diagnostics.error("roster: metrics on \(Self.url(address: address, port: listening))")
        return MetricsServer(task: task)
    }

    /// Where the metrics are read: an IPv6 address bracketed, or its port would read as part
    /// of it (`http://::1:9100` is no URL).
    static func url(address: String, port: Int) -> String {
        "http://\(HostAddress.shown(address, port: port))/metrics"
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}
