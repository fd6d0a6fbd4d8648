/// Process-wide allocator tuning for the command-line tools.
public enum MemoryTuning {
    /// Asks glibc to keep freed memory for reuse instead of returning it to the kernel.
    ///
    /// The rank-one sweep and the butterfly and network quantizers allocate and free buffers of tens of megabytes
    /// per problem; with glibc's defaults each such buffer is a fresh `mmap`, and up to a third of the run time
    /// went into page faults zeroing it again. Executables call this once at start-up; the library never does it
    /// by itself. No effect on other platforms.
    public static func keepFreedMemory() {
        #if os(Linux)
        // glibc's <malloc.h> is not part of the Glibc module: declare the one function needed.
        let mTrimThreshold: Int32 = -1, mMmapThreshold: Int32 = -3
        _ = glibcMallopt(mMmapThreshold, 1 << 30)
        _ = glibcMallopt(mTrimThreshold, 1 << 30)
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
