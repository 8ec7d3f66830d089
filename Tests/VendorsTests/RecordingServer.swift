/// RecordingServer.swift: a small HTTP server that records every request exactly and
/// answers with scripted responses, so client requests are checked against the wire, not
/// only against our own emulator.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing
@testable import Vendors

/// One request as it arrived.
struct RecordedRequest: Sendable {
    var method: String
    /// Path and query, as sent.
    var target: String
    /// Header names in lowercase.
    var headers: [String: String]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A scripted answer.
struct ScriptedResponse: Sendable {
    var status: Int
    var body: String
    var headers: [String: String] = ["Content-Type": "application/json"]
}

final class RecordingServer: Sendable {
    private let recorded = Mutex<[RecordedRequest]>([])
    private let script = Mutex<[ScriptedResponse]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)
    private let boundPort = Mutex(0)

    var requests: [RecordedRequest] { recorded.withLock { $0 } }
    var origin: String { "http://127.0.0.1:\(boundPort.withLock { $0 })" }

    /// Queues answers, given in order; when the queue is empty the answer is 200 `{}`.
    func answer(_ responses: ScriptedResponse...) { script.withLock { $0 += responses } }

    private struct Recorder: RouterMiddleware {
        typealias Context = BasicRequestContext
        let server: RecordingServer

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value } // lowercase names
            server.recorded.withLock {
                $0.append(RecordedRequest(method: request.method.rawValue, target: request.head.path ?? "", headers: headers, body: Array(body.readableBytesView)))
            }
            let scripted = server.script.withLock { $0.isEmpty ? ScriptedResponse(status: 200, body: "{}") : $0.removeFirst() }
            var fields = HTTPFields()
            for (name, value) in scripted.headers { fields[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: scripted.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: scripted.body)))
        }
    }

    static func start() async throws -> RecordingServer {
        let server = RecordingServer()
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Recorder(server: server))
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning // the suite's output is the tests', not each server's start
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { sink.yield($0.localAddress?.port ?? 0); sink.finish() }, logger: logger)
        let task = Task { try await application.run() }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        server.boundPort.withLock { $0 = port }
        server.task.withLock { $0 = task }
        return server
    }

    func stop() async {
        let task = self.task.withLock { $0 }
        task?.cancel()
        _ = try? await task?.value
    }
}

/// Runs `body` with a fresh recording server.
func withRecorder<T>(_ body: (RecordingServer) async throws -> T) async throws -> T {
    let server = try await RecordingServer.start()
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// The VendorError `body` fails with, or nil (and a recorded issue) when it succeeds.
func vendorError(_ body: () async throws(VendorError) -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> VendorError? {
    do {
        try await body()
        Issue.record("expected a VendorError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
