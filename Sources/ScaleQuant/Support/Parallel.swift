import Dispatch
import Synchronization

/// How the indices of a ``parallelFor(_:schedule:threads:_:)`` loop are shared among its threads.
public enum ParallelSchedule: Sendable {
    /// Thread k of t runs the k-th of t contiguous blocks of indices (sizes differing by at most one): no shared
    /// state, for iterations that are cheap and of even cost.
    case `static`
    /// Each thread takes the next index from a shared atomic counter until none is left, so that a thread slowed
    /// down by other work on the machine, or by costlier indices, does not hold the others back (one atomic
    /// increment per index).
    case dynamic
}

/// Runs `body(i)` for every i in `0..<count` on up to `threads` threads (`nil`: ``Parallelism/threads``; the
/// calling thread is one of them), and returns when all are done.
///
/// `body` must only write data of its own index (disjoint slots); then the result does not depend on the thread
/// count or the schedule. One thread (or `count ≤ 1`) runs the indices in order on the calling thread. Nothing
/// is allocated per index.
@inlinable
public func parallelFor(_ count: Int, schedule: ParallelSchedule = .dynamic, threads: Int? = nil,
                        _ body: (Int) -> Void) {
    guard count > 0 else { return }
    let t = Swift.min(Parallelism.resolve(threads), count)
    if t == 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let work = UncheckedBox(body)
        switch schedule {
        case .static:
            // Block k: q·k + min(k, r) ..< q·(k+1) + min(k+1, r), with count = q·t + r.
            let q = count / t, r = count % t
            DispatchQueue.concurrentPerform(iterations: t) { k in
                let lo = q * k + Swift.min(k, r), hi = lo + q + (k < r ? 1 : 0)
                for i in lo..<hi { work.value(i) }
            }
        case .dynamic:
            let next = Atomic<Int>(0)
            withUnsafePointer(to: next) { counter in
                let c = UncheckedBox(counter)
                DispatchQueue.concurrentPerform(iterations: t) { _ in
                    while true {
                        let i = c.value.pointee.wrappingAdd(1, ordering: .relaxed).oldValue
                        if i >= count { break }
                        work.value(i)
                    }
                }
            }
        }
    }
}

/// `[body(0), …, body(count − 1)]`, computed by ``parallelFor(_:schedule:threads:_:)`` (each result written
/// into its own slot of the array, so the output does not depend on the thread count).
@inlinable
public func parallelMap<T>(_ count: Int, schedule: ParallelSchedule = .dynamic, threads: Int? = nil,
                           _ body: (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        let out = buffer.baseAddress!
        parallelFor(count, schedule: schedule, threads: threads) { i in (out + i).initialize(to: body(i)) }
        initialized = count
    }
}

/// Runs two closures, concurrently when `threads` (`nil`: ``Parallelism/threads``) is at least 2, and returns
/// both results.
@inlinable
public func parallelPair<A, B>(_ a: () -> A, _ b: () -> B, threads: Int? = nil) -> (A, B) {
    var ra: A?, rb: B?
    parallelFor(2, schedule: .static, threads: threads) { i in
        if i == 0 { ra = a() } else { rb = b() }
    }
    return (ra!, rb!)
}

/// Carries a non-Sendable value into a concurrent region whose accesses the caller keeps disjoint.
@usableFromInline
struct UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @inlinable init(_ value: T) { self.value = value }
}
