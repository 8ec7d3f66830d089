/// ChildOutput.swift: reading a child process's pipe until it ends.
import Foundation

extension FileHandle {
    /// Hands each chunk read to `each` on a thread of its own, then an empty chunk at the
    /// end, and closes the handle. Not a `readabilityHandler`: on Linux, libdispatch's event
    /// loop was seen to crash (in `_dispatch_event_loop_drain`) with many pipes watched at
    /// once, and a handler left set at the end spins on the closed pipe. Closed here, not
    /// left to the handle's release, which waits for the `Process` holding the pipe: a
    /// worker that never released its children's ran out of descriptors after a thousand
    /// runs (`Worker.reap`).
    func readUntilEnd(_ each: @escaping @Sendable (Data) -> Void) {
        let thread = Thread { [self] in
            while case let chunk = availableData, !chunk.isEmpty { each(chunk) }
            try? close()
            each(Data())
        }
        // Reading needs little stack; dozens of children must not cost 8 MB each.
        thread.stackSize = 1 << 18
        thread.start()
    }
}
