/// SecretScrubber.swift: replaces known secret values in text that came back from a vendor,
/// so that a server echoing a request (headers in an error message, say) never hands a
/// credential to a script, the output or a log.
import Foundation

/// Replaces each of a set of secret values, as written raw or JSON-escaped, by `<redacted>`.
public struct SecretScrubber: Sendable {
    /// What a scrubbed secret reads as.
    public static let replacement = "<redacted>"

    /// The forms to look for, longest first so that a secret containing another is
    /// replaced whole.
    private let needles: [[UInt8]]

    /// Values shorter than four bytes are not looked for: replacing every `a` in a text
    /// would destroy it, and no credential is that short.
    public init(_ secrets: [String]) {
        var forms = Set<[UInt8]>()
        for secret in secrets where secret.utf8.count >= 4 {
            forms.insert(Array(secret.utf8))
            let escaped = JSONValue.escaped(secret)
            if escaped != secret { forms.insert(Array(escaped.utf8)) }
            let slashEscaped = escaped.replacingOccurrences(of: "/", with: "\\/")
            if slashEscaped != escaped { forms.insert(Array(slashEscaped.utf8)) }
        }
        needles = forms.sorted { $0.count > $1.count }
    }

    /// Whether there is nothing to scrub.
    public var isEmpty: Bool { needles.isEmpty }

    public func scrub(_ text: String) -> String {
        guard !needles.isEmpty else { return text }
        let bytes = Array(text.utf8)
        let scrubbed = scrub(bytes)
        return scrubbed == bytes ? text : String(decoding: scrubbed, as: UTF8.self)
    }

    public func scrub(_ bytes: [UInt8]) -> [UInt8] {
        var current = bytes
        for needle in needles where current.count >= needle.count {
            current = Self.replacing(needle, in: current)
        }
        return current
    }

    /// Every non-overlapping occurrence of `needle` replaced, left to right.
    private static func replacing(_ needle: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        let first = needle[0], count = needle.count
        var result: [UInt8] = []
        var copiedUpTo = 0
        var index = 0
        let last = bytes.count - count
        while index <= last {
            if bytes[index] == first, bytes[index..<(index + count)].elementsEqual(needle) {
                if result.isEmpty { result.reserveCapacity(bytes.count) }
                result += bytes[copiedUpTo..<index]
                result += Array(replacement.utf8)
                index += count
                copiedUpTo = index
            } else {
                index += 1
            }
        }
        guard copiedUpTo > 0 else { return bytes }
        result += bytes[copiedUpTo...]
        return result
    }
}

extension VendorError {
    /// This error with every secret `scrubber` knows replaced in its message and code.
    public func scrubbed(by scrubber: SecretScrubber) -> VendorError {
        guard !scrubber.isEmpty else { return self }
        var copy = self
        copy.message = scrubber.scrub(message)
        copy.code = code.map(scrubber.scrub)
        return copy
    }
}
