import Synchronization
#if canImport(Glibc)
import Glibc
#else
import Dispatch
#endif

/// Process-wide counters of the exact rank-one solver (``RankOne/solveWeighted(a:c:b:d:gridX:gridY:keepY:)`` and
/// everything built on it), for benchmarks: how many problems were solved, the CPU time they took (thread time,
/// summed over threads), how often the F_p shortcut was tried and succeeded, how many binades of the scale λ
/// were swept or skipped by the lower bound, how many breakpoints were evaluated and how many y-table entries
/// were built. Updating them costs a few atomic additions per problem.
public enum RankOneStatistics {
    private static let solves = Atomic<Int>(0)
    private static let nanoseconds = Atomic<Int>(0)
    private static let binades = Atomic<Int>(0)
    private static let pruned = Atomic<Int>(0)
    private static let pieces = Atomic<Int>(0)
    private static let tableEntries = Atomic<Int>(0)
    private static let shortcutTried = Atomic<Int>(0)
    private static let shortcutHits = Atomic<Int>(0)

    /// The counters at one moment.
    public struct Snapshot: Sendable {
        /// Problems solved (a problem first tried on F_p and then swept on the bounded format counts once).
        public var solves = 0
        /// CPU time inside the solver (thread time of the calling thread and of any helper thread it started is
        /// not included: with `parallel: true` this undercounts), summed over calls.
        public var seconds = 0.0
        /// Binades of λ considered for a full sweep (after merging exact copies).
        public var binades = 0
        /// Of those, the binades skipped because their lower bound exceeded the best objective found.
        public var prunedBinades = 0
        /// Breakpoints (candidate states) evaluated.
        public var pieces = 0
        /// Entries of y-side tables (sorted breakpoints with running sums) built.
        public var tableEntries = 0
        /// Problems on bounded float formats first solved on F_p (``RankOne`` tries the idealized grid first).
        public var shortcutTried = 0
        /// Of those, the problems whose F_p answer fitted the bounded formats (no full sweep needed).
        public var shortcutHits = 0
    }

    /// The current values.
    public static func snapshot() -> Snapshot {
        Snapshot(solves: solves.load(ordering: .relaxed),
                 seconds: Double(nanoseconds.load(ordering: .relaxed)) * 1e-9,
                 binades: binades.load(ordering: .relaxed), prunedBinades: pruned.load(ordering: .relaxed),
                 pieces: pieces.load(ordering: .relaxed), tableEntries: tableEntries.load(ordering: .relaxed),
                 shortcutTried: shortcutTried.load(ordering: .relaxed), shortcutHits: shortcutHits.load(ordering: .relaxed))
    }

    /// Sets every counter to zero.
    public static func reset() {
        solves.store(0, ordering: .relaxed); nanoseconds.store(0, ordering: .relaxed)
        binades.store(0, ordering: .relaxed); pruned.store(0, ordering: .relaxed)
        pieces.store(0, ordering: .relaxed); tableEntries.store(0, ordering: .relaxed)
        shortcutTried.store(0, ordering: .relaxed); shortcutHits.store(0, ordering: .relaxed)
    }

    static func recordShortcut(hit: Bool) {
        shortcutTried.add(1, ordering: .relaxed)
        if hit { shortcutHits.add(1, ordering: .relaxed) }
    }

    /// CPU time of the calling thread, in nanoseconds.
    static func threadTime() -> Int {
        #if canImport(Glibc)
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Int(ts.tv_sec) * 1_000_000_000 + Int(ts.tv_nsec)
        #else
        return Int(DispatchTime.now().uptimeNanoseconds)
        #endif
    }

    static func recordSweep(binades b: Int, pruned p: Int, pieces q: Int, tableEntries t: Int) {
        binades.add(b, ordering: .relaxed)
        pruned.add(p, ordering: .relaxed)
        pieces.add(q, ordering: .relaxed)
        tableEntries.add(t, ordering: .relaxed)
    }

    static func recordSolve(nanoseconds ns: Int) {
        solves.add(1, ordering: .relaxed)
        nanoseconds.add(ns, ordering: .relaxed)
    }
}
