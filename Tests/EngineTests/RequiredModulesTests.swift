/// RequiredModulesTests.swift: the modules a queued script carries, found in its text.
import Foundation
import Testing
@testable import Engine

struct RequiredModulesTests {
    @Test func literalNamesInEachSpellingAreFound() {
        let source = """
            local a = require("lib.util")
            local b = require 'helper'
            local c = require ( "spaced" )
            local d = require(name)             -- computed: the worker looks in the folder
            local e = obj.require("not.global")
            local f = my_require("other")
            local g = require[[long]]
            """
        #expect(RequiredModules.names(in: Array(source.utf8)) == ["lib.util", "helper", "spaced"])
    }

    @Test func modulesAreReadWithTheOnesTheyRequireOnceEach() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-modules-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try Data("return require('lib.b')".utf8).write(to: folder.appendingPathComponent("lib/a.lua"))
        try Data("return require('lib.a')".utf8).write(to: folder.appendingPathComponent("lib/b.lua"))
        let found = RequiredModules.find(in: Array("require('lib.a') require('missing') require('../x')".utf8), folder: folder.path)
        #expect(found.map(\.path) == ["lib/a.lua", "lib/b.lua"])
        #expect(found.first?.contents == Array("return require('lib.b')".utf8))
    }

    /// A queued run carries no file a symbolic link in the folder points out of it to.
    @Test func aLinkOutOfTheFolderIsNotCarried() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-modules-\(UUID().uuidString)")
        let outside = folder.appendingPathExtension("outside")
        defer { for url in [folder, outside] { try? FileManager.default.removeItem(at: url) } }
        for url in [folder, outside] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        try Data("return 'secret'".utf8).write(to: outside.appendingPathComponent("secret.lua"))
        try Data("return 'inside'".utf8).write(to: folder.appendingPathComponent("inside.lua"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("escape.lua").path, withDestinationPath: outside.appendingPathComponent("secret.lua").path)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("alias.lua").path, withDestinationPath: "inside.lua")
        let found = RequiredModules.find(in: Array("require('escape') require('alias')".utf8), folder: folder.path)
        #expect(found.map(\.path) == ["alias.lua"])
    }
}
