/// HTTPClientFloorTests.swift: the benchmark's bare HTTP client loop sends exactly the calls
/// asked for, with the headers given, and a refused answer fails it rather than counting.
import Testing
@_spi(Benchmarks) @testable import Vendors

@Suite struct HTTPClientFloorTests {
    @Test func sendsEveryCallWithItsHeaders() async throws {
        try await withRecorder { server in
            try await HTTPClientFloor.run(url: server.origin + "/users/7?x=1", headers: [("Ocp-Apim-Subscription-Key", "k1")],
                                          calls: 50, inFlight: 8)
            let requests = server.requests
            #expect(requests.count == 50)
            #expect(requests.allSatisfy { $0.method == "GET" && $0.target == "/users/7?x=1" && $0.headers["ocp-apim-subscription-key"] == "k1" })
        }
    }

    @Test func moreLanesThanCallsSendsOnlyTheCalls() async throws {
        try await withRecorder { server in
            try await HTTPClientFloor.run(url: server.origin + "/", headers: [], calls: 3, inFlight: 16)
            #expect(server.requests.count == 3)
        }
    }

    @Test func aRefusedAnswerFailsTheRun() async throws {
        try await withRecorder { server in
            server.answer(ScriptedResponse(status: 200, body: "{}"), ScriptedResponse(status: 401, body: "{}"))
            let error = await #expect(throws: HTTPClientFloorError.self) {
                try await HTTPClientFloor.run(url: server.origin + "/", headers: [], calls: 20, inFlight: 1)
            }
            #expect(error?.message == "the answer was 401")
            // One lane: the run stops at the refusal, nothing after it is sent.
            #expect(server.requests.count == 2)
        }
    }
}
