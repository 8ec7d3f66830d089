/// HTTPClientFloor.swift: the HTTP client with no Roster code around it, the floor under
/// what a vendor call can cost (`roster bench --vendors`).
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// GETs of one URL through `VendorHTTP.vendorClient` with nothing of Roster's around them: the
/// request made once, each next request started on the event loop where the last one ended
/// (no task, no `await`, no timeout, no decoding), the answer checked for a 2xx and dropped.
/// Not part of the vendor API: SPI for `roster bench` only, which sets a vendor call's cost
/// against it and against wrk's — what the HTTP client itself allows on the machine.
@_spi(Benchmarks) public enum HTTPClientFloor {
    /// Sends `calls` GETs of `url` with `headers`, `inFlight` at a time; throws the first
    /// failure (a refused answer or a transport error) once every lane has stopped.
    public static func run(url: String, headers: [(String, String)], calls: Int, inFlight: Int) async throws {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name: name, value: value) }
        let request = try HTTPClient.Request(url: url, method: .GET, headers: fields)
        guard inFlight > 0 else { return } // no lane would ever end the run
        let client = VendorHTTP.vendorClient
        let done = client.eventLoopGroup.next().makePromise(of: Void.self)
        let lanes = Lanes(calls: calls, lanes: inFlight, done: done)

        @Sendable func next() {
            guard lanes.take() else { return }
            client.execute(request: request, delegate: ResponseAccumulator(request: request)).futureResult.whenComplete { result in
                switch result {
                case .success(let response) where (200..<300).contains(response.status.code): next()
                case .success(let response): lanes.fail(HTTPClientFloorError(message: "the answer was \(response.status.code)"))
                case .failure(let error): lanes.fail(error)
                }
            }
        }
        for _ in 0..<inFlight { next() }
        try await done.futureResult.get()
    }

    /// The calls left to start and the lanes still starting them.
    private final class Lanes: Sendable {
        private struct State {
            var callsLeft: Int
            var lanesLeft: Int
            var failure: (any Error)?
        }
        private let state: Mutex<State>
        private let done: EventLoopPromise<Void>

        init(calls: Int, lanes: Int, done: EventLoopPromise<Void>) {
            state = Mutex(State(callsLeft: calls, lanesLeft: lanes))
            self.done = done
        }

        /// What a lane does next.
        private enum Turn {
            case call
            case stop
            /// The last lane stopped: the run ends with this.
            case end(Result<Void, any Error>)
        }

        /// Whether the caller's lane starts one more call; when it does not, the lane ends,
        /// and the last lane to end ends the run.
        func take() -> Bool {
            let turn = state.withLock { state -> Turn in
                if state.callsLeft > 0, state.failure == nil {
                    state.callsLeft -= 1
                    return .call
                }
                state.lanesLeft -= 1
                guard state.lanesLeft == 0 else { return .stop }
                return .end(state.failure.map { .failure($0) } ?? .success(()))
            }
            switch turn {
            case .call: return true
            case .stop: return false
            case .end(let result):
                done.completeWith(result)
                return false
            }
        }

        /// Ends the caller's lane with `error`; the others end at their next call.
        func fail(_ error: any Error) {
            state.withLock { state in if state.failure == nil { state.failure = error } }
            _ = take()
        }
    }
}

/// A floor run's answer that was not a 2xx.
struct HTTPClientFloorError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
