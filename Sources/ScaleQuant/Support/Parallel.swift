import Dispatch

/// Runs `body(i)` for every i in `0..<count` on all cores and returns the results in order.
///
/// Used where work is independent (binades of a sweep, neurons of a layer, columns of a factor pair). The results
/// are written into disjoint slots of one buffer, so no locking is needed; the output is deterministic.
public func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    if count == 0 { return [] }
    if count == 1 { return [body(0)] }
    let slots = UnsafeMutablePointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
    defer { slots.deinitialize(count: count); slots.deallocate() }
    let box = UncheckedBox(slots)
    withoutActuallyEscaping(body) { body in
        let f = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            box.value[i] = f.value(i)
        }
    }
    return (0..<count).map { slots[$0]! }
}

/// Runs two closures concurrently and returns both results.
public func parallelPair<A, B>(_ a: () -> A, _ b: () -> B) -> (A, B) {
    let pa = UnsafeMutablePointer<A?>.allocate(capacity: 1), pb = UnsafeMutablePointer<B?>.allocate(capacity: 1)
    pa.initialize(to: nil); pb.initialize(to: nil)
    defer { pa.deinitialize(count: 1); pa.deallocate(); pb.deinitialize(count: 1); pb.deallocate() }
    withoutActuallyEscaping(a) { a in
        withoutActuallyEscaping(b) { b in
            let fa = UncheckedBox(a), fb = UncheckedBox(b), ba = UncheckedBox(pa), bb = UncheckedBox(pb)
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                if i == 0 { ba.value.pointee = fa.value() } else { bb.value.pointee = fb.value() }
            }
        }
    }
    return (pa.pointee!, pb.pointee!)
}

/// Runs `body(i)` for i in 0..<count on up to two threads (the machine this was written for has two cores).
/// `body` must only touch disjoint data per index.
@inline(__always)
func parallelFor(_ count: Int, threads: Int = 2, _ body: (Int) -> Void) {
    if count <= 1 || threads <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { work in
        let box = UncheckedBox(work)
        let chunks = min(threads, count)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var i = c
            while i < count { box.value(i); i += chunks }
        }
    }
}

/// Carries a non-Sendable value into a concurrent region whose accesses the caller keeps disjoint.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
