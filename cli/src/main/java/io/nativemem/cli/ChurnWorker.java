package io.nativemem.cli;

import io.nativemem.MemoryStats;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;

import java.io.PrintStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * One implementation's churn, run in a JVM of its own so that both implementations get the same
 * limit ({@code -XX:MaxDirectMemorySize} can only be set at start-up). Prints machine-readable
 * lines for {@link Churn}: {@code progress SECONDS ALLOCATIONS OOMS RESERVED GCS} every 250 ms,
 * then {@code done SECONDS ALLOCATIONS OOMS RESERVED GCS REQUESTED}, and for nativemem, once a GC
 * freed every buffer, {@code final} and the ledger's stats.
 */
final class ChurnWorker {

    static final String COMMAND = "churn-worker";
    /**
     * The JDK's churn in a JVM that linked and called one downcall first, as any process that
     * uses the FFM API has: measured, the classes and method handles the FFM API then holds
     * lengthen every full GC (a lean churn's from 4.5 to 6.5-6.8 ms), which nativemem, calling
     * libc through downcalls, cannot avoid. The control that shows what is nativemem's own cost.
     */
    static final String JDK_WITH_FFM = "jdk-ffm";

    private ChurnWorker() {
    }

    static void run(List<String> args, PrintStream out) throws UsageException {
        Options options = Options.parse(COMMAND, args, Set.of("impl", "threads", "seconds", "size"));
        String impl = options.text("impl", "nativemem");
        boolean jdk = !impl.equals("nativemem");
        if (impl.equals(JDK_WITH_FFM)) {
            useFfm();
        }
        int threads = options.positiveInt("threads", 4);
        double seconds = options.positiveSeconds("seconds", 5);
        String sizeText = options.text("size", "1m");
        boolean random = sizeText.equals("random");
        int size = random ? 0 : (int) options.bytes("size", 1 << 20);
        LongAdder allocations = new LongAdder();
        LongAdder ooms = new LongAdder();
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline) {
                    int bytes = random ? 1 + rnd.nextInt(1 << 20) : size;
                    try {
                        if (jdk) {
                            ByteBuffer.allocateDirect(bytes).put(0, (byte) 1);
                        } else {
                            NativeBuffer.allocateDirect(bytes).put(0, (byte) 1);
                        }
                        allocations.increment();
                    } catch (OutOfMemoryError e) {
                        ooms.increment();
                    }
                }
            }, "churn-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        while (System.nanoTime() < deadline) {
            sleep(250);
            out.println("progress " + elapsed(start) + " " + allocations.sum() + " " + ooms.sum() + " "
                    + reserved(jdk) + " " + gcCount() + " " + gcMillis());
            out.flush();
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long requested = jdk ? 0 : NativeMemory.stats().gcRequests();
        out.println("done " + elapsed(start) + " " + allocations.sum() + " " + ooms.sum() + " " + reserved(jdk) + " "
                + gcCount() + " " + gcMillis() + " " + requested);
        if (!jdk) {
            LiveBlocks.awaitAtMost(0, Duration.ofSeconds(10));
            out.println("final " + NativeMemory.stats());
        }
    }

    /** Links {@code getpid} as a downcall and calls it once: the FFM API's first use. */
    private static void useFfm() {
        Linker linker = Linker.nativeLinker();
        MethodHandle getpid = linker.downcallHandle(linker.defaultLookup().findOrThrow("getpid"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try {
            int pid = (int) getpid.invokeExact();
            if (pid != ProcessHandle.current().pid()) {
                throw new IllegalStateException("getpid() returned " + pid + " in process " + ProcessHandle.current().pid());
            }
        } catch (Throwable t) {
            throw new IllegalStateException("Could not call getpid through the FFM API", t);
        }
    }

    private static String elapsed(long start) {
        return String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9);
    }

    private static long reserved(boolean jdk) {
        if (!jdk) {
            MemoryStats stats = NativeMemory.stats();
            return stats.reservedMemory();
        }
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    /** The time the collectors report spent collecting, in milliseconds (for a full GC: its pause). */
    private static long gcMillis() {
        long ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, gc.getCollectionTime());
        }
        return ms;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
