internal import CFFmpeg

/// Process-wide allocator settings for a process that renders. Executables call it once at start; the
/// engine never does on its own.
public enum MemoryTuning {
    /// Serves allocations of 128 KiB and more (frame buffers, x264's per-encoder tables) with mmap, so
    /// they go back to the system when freed. glibc otherwise raises its mmap threshold after the first
    /// large free, and each clip's encoder then leaves its buffers in a heap that never shrinks: a
    /// six-clip 720p render peaked at ~225 MiB instead of ~200 MiB (docs/media.md).
    public static func returnLargeBuffersToTheSystem() {
        _ = cutline_set_mmap_threshold(128 * 1024)
    }
}
