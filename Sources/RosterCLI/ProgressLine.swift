/// ProgressLine.swift: the status line a run keeps at the bottom of a terminal (stderr):
/// rows and changes done, failures, rate, ETA and what the run waits for, redrawn a few
/// times a second and cleared at the end. Lines printed meanwhile go above it.
import Bindings
import Foundation
import LuaHost
import Synchronization
import Vendors

/// The script's `print`, above the progress line.
struct OutputAboveProgress: LuaOutput {
    let progress: ProgressLine
    func write(_ bytes: [UInt8]) { progress.print(String(decoding: bytes, as: UTF8.self), to: .standardOutput) }
}

/// A run's progress as the line shows it.
struct ProgressState: Sendable {
    /// Rows in all and ended (nil: a single script).
    var rowsTotal: Int?
    var rowsDone = 0
    var rowsFailed = 0
}

/// Prints lines and keeps the progress line under them. Off (lines only) when stderr is not
/// a terminal.
final class ProgressLine: Sendable {
    private struct State {
        var progress = ProgressState()
        var shown = false
        var finished = false
    }

    private let state: Mutex<State>
    private let counter: CallCounter
    private let enabled: Bool
    private let started = ContinuousClock.now
    private let ticker = Mutex<Task<Void, Never>?>(nil)

    /// `enabled`: stderr is a terminal and nothing machine-read goes to the terminal.
    init(counter: CallCounter, rowsTotal: Int?, enabled: Bool) {
        self.counter = counter
        self.enabled = enabled
        state = Mutex(State(progress: ProgressState(rowsTotal: rowsTotal)))
        guard enabled else { return }
        let task = Task { [weak self] in
            // A run that ends within a second never shows one.
            try? await Task.sleep(for: .milliseconds(750))
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                guard let self, !Task.isCancelled else { return }
                self.redraw()
            }
        }
        ticker.withLock { $0 = task }
    }

    /// Whether a progress line can be shown: stderr is a terminal.
    static var terminalAvailable: Bool { isatty(2) == 1 }

    /// A row ended.
    func rowEnded(failed: Bool) {
        state.withLock { state in
            state.progress.rowsDone += 1
            if failed { state.progress.rowsFailed += 1 }
        }
    }

    /// Prints `text` (a whole line or more) to `handle`, above the progress line.
    func print(_ text: String, to handle: FileHandle) {
        state.withLock { state in
            if state.shown { FileHandle.standardError.write(text: "\r\u{1B}[K") }
            // A reader that has gone (`| head -1`) or a full disk loses the output, not the
            // run: its changes go on being sent and journaled.
            handle.write(text: text)
            state.shown = false
        }
        redraw()
    }

    /// Stops redrawing and clears the line.
    func finish() {
        ticker.withLock { $0?.cancel() }
        state.withLock { state in
            if state.shown { FileHandle.standardError.write(text: "\r\u{1B}[K") }
            state.shown = false
            state.finished = true
        }
    }

    private func redraw() {
        guard enabled else { return }
        let elapsed = ContinuousClock.now - started
        state.withLock { state in
            guard !state.finished else { return }
            let text = Self.text(state.progress, changes: counter.changesDone, elapsed: elapsed, waits: RateWaits.shared.current())
            FileHandle.standardError.write(text: "\r\u{1B}[K" + text)
            state.shown = true
        }
    }

    /// `rows 12/50 · 36 changes · 1 failed · 2.1 rows/s · ETA 18 s · active911: waiting 38 s for its rate budget`
    static func text(_ progress: ProgressState, changes: Int, elapsed: Duration, waits: [(vendor: String, left: Duration)]) -> String {
        let seconds = max(0.001, elapsed.inSeconds)
        var parts: [String] = []
        if let total = progress.rowsTotal {
            parts.append("rows \(progress.rowsDone)/\(total)")
            parts.append("\(changes) change" + (changes == 1 ? "" : "s"))
            if progress.rowsFailed > 0 { parts.append("\(progress.rowsFailed) failed") }
            let rate = Double(progress.rowsDone) / seconds
            parts.append(String(format: "%.1f rows/s", rate))
            if progress.rowsDone > 0, progress.rowsDone < total {
                parts.append("ETA " + duration(Double(total - progress.rowsDone) / rate))
            }
        } else {
            parts.append("\(changes) change" + (changes == 1 ? "" : "s"))
            parts.append(String(format: "%.1f/s", Double(changes) / seconds))
        }
        parts.append(duration(seconds) + " elapsed")
        for wait in waits {
            let left = wait.left.inSeconds
            parts.append("\(wait.vendor): waiting \(duration(left)) for its rate budget")
        }
        return parts.joined(separator: " · ")
    }

    /// `18 s`, `4 min 10 s`, `1 h 5 min`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min" + (whole % 60 == 0 ? "" : " \(whole % 60) s") }
        return "\(whole / 3600) h" + ((whole % 3600) / 60 == 0 ? "" : " \((whole % 3600) / 60) min")
    }
}
