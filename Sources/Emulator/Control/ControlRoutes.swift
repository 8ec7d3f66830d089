/// ControlRoutes.swift: the emulator's own API under `/_emulator/` (never on a vendor
/// path): faults, a state dump, reset, and each vendor's own hooks.
import Foundation
import Hummingbird

enum ControlRoutes {
    static func add(to router: Router<BasicRequestContext>, world: EmulatorWorld) {
        let control = router.group("_emulator")
        control.get("faults") { _, _ in
            Reply.object(["faults": world.faults.spec.description])
        }
        // Body: the spec as text (`latency=50ms,error500=0.1`); `?seed=N` restarts the sequence.
        control.put("faults") { request, _ in
            var request = request
            let text = await request.bodyData(limit: 4096).map { String(decoding: $0, as: UTF8.self) } ?? ""
            do throws(FaultSpecError) {
                let spec = try FaultSpec(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines))
                let seed = request.query("seed").flatMap(UInt64.init) ?? world.configuration.seed
                world.faults.update(spec, seed: seed)
                return Reply.object(["faults": spec.description])
            } catch {
                return Reply.object(["error": error.description], status: .badRequest)
            }
        }
        control.get("state") { _, _ in Reply.object(world.dump()) }
        control.get("stats") { _, _ in Reply.object(world.stats()) }
        control.post("reset") { _, _ in
            world.reset()
            return Reply.object(["reset": true])
        }
        for served in world.served {
            served.api.addControlRoutes(to: control.group(RouterPath(served.api.name)), world: world)
        }
    }
}
