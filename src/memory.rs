//! Allocator settings for a process that takes and frees large buffers over and over.

/// Keeps the memory the process frees for its next allocations instead of returning it to the
/// system.
///
/// With glibc's defaults, freed megabytes go back to the system (the heap is trimmed, buffers
/// above 128 KiB to 32 MiB are mapped and unmapped one by one) and the next allocation takes
/// them again page by page, each page faulted in and zeroed by the kernel:
/// - in the app, every frame egui copies the map's meshes (hundreds of thousands of vertices at
///   region zoom over France) into new buffers and frees them once drawn: at region zoom that
///   was 5 of the 7 ms egui spends on the zone meshes;
/// - on the command line, an analysis of a million points goes through many short-lived
///   buffers of several megabytes (reader parts, grids, catchments).
///
/// Called once when the app starts, by the coverage commands of the command line, and by the frame benchmarks so that
/// they measure the app's frames. Does nothing outside glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's mallopt parameters (malloc.h).
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only changes two thresholds of the allocator; it may be called at
        // any time, from any thread, and reports a refused value by returning 0 (ignored: the
        // defaults stay, which are only slower).
        unsafe {
            // Up to 256 MiB free at the top of the heap kept; buffers up to 32 MiB (glibc's
            // maximum for this threshold) taken from the heap, not mapped and unmapped each
            // time.
            mallopt(M_TRIM_THRESHOLD, 256 << 20);
            mallopt(M_MMAP_THRESHOLD, 32 << 20);
        }
    }
}
