/// ListenFailure.swift: why a server of Roster's (the emulator, a worker's metrics) could
/// not listen, in words.

/// A bind failure in words, not NIO's function names (`bind(descriptor:ptr:bytes:):
/// Address already in use (errno: 98)`).
enum ListenFailure {
    static func describe(_ error: any Error, port: Int) -> String {
        let text = String(describing: error)
        if text.contains("Address already in use") { return "port \(port) is in use" }
        if text.contains("Permission denied") { return "permission denied (ports below 1024 need privileges)" }
        if text.contains("Cannot assign requested address") { return "that address is not on this machine" }
        if text.contains("UnknownHost") { return "no such host name (give an address of this machine, like 127.0.0.1)" }
        if let errno = text.range(of: "(errno: "), let colon = text[..<errno.lowerBound].range(of: "): ") {
            return text[colon.upperBound..<errno.lowerBound].trimmingCharacters(in: .whitespaces)
        }
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
