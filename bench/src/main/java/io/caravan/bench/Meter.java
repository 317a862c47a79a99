package io.caravan.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * CPU seconds and peak heap of this process over a phase. The in-process brokers and the final
 * consumer run in the same process, so they are included, equally for every pipe.
 */
final class Meter {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private volatile long cpuStart = -1;
    private volatile double cpuSeconds;
    private volatile double peakHeapMb;

    /** Starts a phase: notes the CPU time and resets the heap pools' peaks. */
    void begin() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
        cpuStart = OS.getProcessCpuTime();
    }

    /** Ends the phase: CPU used since begin() and the sum of the heap pools' peaks. */
    void end() {
        if (cpuStart < 0) {
            return;
        }
        cpuSeconds = (OS.getProcessCpuTime() - cpuStart) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        peakHeapMb = peak / (1024.0 * 1024.0);
    }

    double cpuSeconds() {
        return cpuSeconds;
    }

    double peakHeapMb() {
        return peakHeapMb;
    }

    /** Used heap after a full GC, in MiB. */
    static double usedHeapMbAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                used += pool.getUsage().getUsed();
            }
        }
        return used / (1024.0 * 1024.0);
    }
}
