/// VendorCallProfileTests.swift: `roster bench --vendors` reports each phase per call, a
/// phase counted in parts (the request built in three places, the answer checked then
/// written) as the sum of its parts.
import Testing
@testable import Vendors

@Suite struct VendorCallProfileTests {
    @Test func aPhaseCountedInPartsIsTheirSumPerCall() {
        let profile = VendorCallProfile()
        profile.start()
        let start = ContinuousClock.now
        for _ in 0..<2 { // two calls: each builds its request in two parts and waits once
            profile.add(.encode, from: start, to: start + .microseconds(3))
            profile.add(.encode, from: start, to: start + .microseconds(1))
            profile.add(.wait, from: start, to: start + .microseconds(100))
        }
        profile.add(.decode, from: start, to: start + .microseconds(8)) // one of the two
        profile.stop()
        profile.add(.encode, from: start, to: start + .seconds(1)) // off: not counted
        let perCall = Dictionary(uniqueKeysWithValues: profile.microsecondsPerCall().map { ($0.phase, $0.microseconds) })
        #expect(perCall[.encode] == 4)
        #expect(perCall[.wait] == 100)
        #expect(perCall[.decode] == 4)
        #expect(perCall[.send] == 0)
        // In the order a call takes them.
        #expect(profile.microsecondsPerCall().map(\.phase) == [.dispatch, .encode, .send, .wait, .decode, .convert, .resume])
    }
}
