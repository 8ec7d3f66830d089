/// CollectedOutput.swift: test doubles shared by the test targets.
import Foundation
import LuaHost

/// Collects what a script prints.
public final class CollectedOutput: LuaOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    public init() {}

    public func write(_ bytes: [UInt8]) {
        lock.lock()
        self.bytes += bytes
        lock.unlock()
    }

    /// Everything printed so far, as text.
    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
