package io.nativemem.forked;

import io.nativemem.NativeBuffer;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/**
 * Runs in a forked JVM, whose heap holds nothing of earlier tests: keeps {@code args[1]}
 * GC-managed buffers of {@code args[0]} bytes reachable and prints the heap they hold, per
 * buffer, as {@code perBuffer: X}. Measured as what stays reachable (a class histogram, which
 * starts with a full GC), not as what is allocated, which depends on the JIT (an interpreted
 * allocation makes one temporary segment more, which C2 removes).
 */
public final class HeapProbe {

    public static void main(String[] args) throws Exception {
        long capacity = Long.parseLong(args[0]);
        int n = Integer.parseInt(args[1]);
        NativeBuffer.allocateDirect(capacity).close(); // the classes, this thread's arena and stripe
        NativeBuffer[] kept = new NativeBuffer[n];
        long before = liveHeapBytes();
        for (int i = 0; i < n; i++) {
            kept[i] = NativeBuffer.allocateDirect(capacity);
        }
        long after = liveHeapBytes();
        System.out.println("perBuffer: " + (double) (after - before) / n);
        for (NativeBuffer buffer : kept) {
            buffer.close();
        }
    }

    /**
     * The bytes of every reachable object, from HotSpot's class histogram (its {@code Total}
     * line), less the filler arrays that G1 leaves in the gaps of its regions, which hold no
     * object.
     */
    private static long liveHeapBytes() throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {null}, new String[] {String[].class.getName()});
        long total = -1;
        long fillers = 0;
        for (String line : histogram.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].equals("Total")) {
                total = Long.parseLong(f[2]);
            } else if (f.length >= 4 && f[3].contains("FillerElement")) {
                fillers += Long.parseLong(f[2]);
            }
        }
        if (total < 0) {
            throw new IllegalStateException("no Total line in the histogram:\n" + histogram);
        }
        return total - fillers;
    }
}
