/// RequiredModules.swift: the modules a script `require`s from its folder, found in its text
/// and theirs, so that a queued run carries them to a worker on another host.
import Foundation
import LuaHost

/// The Lua modules a script loads by a literal name (`require("lib.util")`,
/// `require 'helper'`), and the ones those load in turn, read from the script's folder. A
/// name computed at run time is not seen here: the worker looks for it in the folder, as
/// before. A name that has no file (a `require` in a comment, say) is left out.
public enum RequiredModules {
    /// Past this many bytes in all, no more modules are read: a folder of that much Lua is
    /// a plugin's job.
    public static let maximumBytes = 8 << 20

    /// Each module's path in `folder` (`lib/util.lua`) and its text, in the order found.
    public static func find(in source: [UInt8], folder: String) -> [(path: String, contents: [UInt8])] {
        var found: [(path: String, contents: [UInt8])] = []
        var seen = Set<String>()
        var total = 0
        var pending = names(in: source)
        while !pending.isEmpty {
            let name = pending.removeFirst()
            guard let path = LuaScript.modulePath(name), seen.insert(path).inserted,
                  case let file = (folder as NSString).appendingPathComponent(path), LuaScript.staysIn(folder: folder, path: file),
                  let contents = try? UserFile.contents(file, atMost: maximumBytes - total)
            else { continue }
            total += contents.count
            found.append((path, Array(contents)))
            pending += names(in: Array(contents))
        }
        return found
    }

    /// The literal names passed to `require` in `source`: `require` then, past spaces and
    /// an optional parenthesis, a quoted name.
    static func names(in source: [UInt8]) -> [String] {
        let keyword = Array("require".utf8)
        var names: [String] = []
        var index = 0
        func skipSpaces() {
            while index < source.count, [0x20, 0x09, 0x0A, 0x0D].contains(source[index]) { index += 1 }
        }
        while index + keyword.count <= source.count {
            guard source[index..<index + keyword.count].elementsEqual(keyword),
                  index == 0 || !isNamePart(source[index - 1]) else {
                index += 1
                continue
            }
            index += keyword.count
            skipSpaces()
            if index < source.count, source[index] == UInt8(ascii: "(") {
                index += 1
                skipSpaces()
            }
            guard index < source.count, source[index] == UInt8(ascii: "\"") || source[index] == UInt8(ascii: "'") else { continue }
            let quote = source[index]
            let start = index + 1
            var end = start
            while end < source.count, source[end] != quote, source[end] != 0x0A { end += 1 }
            if end < source.count, source[end] == quote {
                names.append(String(decoding: source[start..<end], as: UTF8.self))
            }
            index = end + 1
        }
        return names
    }

    private static func isNamePart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || (byte >= 0x30 && byte <= 0x39) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A)
    }
}
