package io.nativemem.internal;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.ObjectName;

/**
 * Obtains a GC for the slow path of the ledger.
 *
 * <p>Under {@code -XX:+DisableExplicitGC}, {@code System.gc()} does nothing, and a process whose
 * small buffer objects barely touch the heap never collects them: measured on this machine kind,
 * {@code allocateDirect} churn then fails after 0.57 s. With
 * {@code -Dnativemem.gcWhenExplicitGcDisabled=true} the runtime asks HotSpot's diagnostic command
 * {@code GC.run} instead (the {@code gcRun} operation of the
 * {@code com.sun.management:type=DiagnosticCommand} MBean), which the flag does not block. By
 * default the flag is honoured and the first exhaustion under it logs once that the opt-in exists.
 */
final class GcTrigger {

    static final String OPT_IN_PROPERTY = "nativemem.gcWhenExplicitGcDisabled";

    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /**
     * Whether the JVM ignores {@code System.gc()}; asked once, on the first exhaustion. Read from
     * the JVM's arguments (command line, {@code JAVA_TOOL_OPTIONS}), the last setting winning.
     * The HotSpotDiagnostic MBean would also see a flags file, but it brings up the whole
     * platform MBean server: measured, that doubled the live heap of a churning process (1 to
     * 2 MB) and with it the cost of every full GC the slow path asks for (2.0 to 4.6 ms).
     */
    private static final class ExplicitGc {
        static final boolean DISABLED = readDisabled();

        private static boolean readDisabled() {
            boolean disabled = false;
            for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (argument.equals("-XX:+DisableExplicitGC")) {
                    disabled = true;
                } else if (argument.equals("-XX:-DisableExplicitGC")) {
                    disabled = false;
                }
            }
            return disabled;
        }
    }

    /** How long a GC's harvest may take to arrive before another GC is worth asking for. */
    static final long HARVEST_PATIENCE_NANOS = 20_000_000L;

    private static final GcTrigger GLOBAL = new GcTrigger(ReclaimQueue.global(), HARVEST_PATIENCE_NANOS);

    private final ReclaimQueue queue;
    private final long harvestPatienceNanos;
    private final Object lock = new Object();
    private long epoch;
    private long lastGcEnd;

    /**
     * A trigger that watches for each GC's harvest in {@code queue} and, after a GC, declines the
     * next unforced request until that harvest arrived or {@code harvestPatienceNanos} passed.
     */
    GcTrigger(ReclaimQueue queue, long harvestPatienceNanos) {
        this.queue = queue;
        this.harvestPatienceNanos = harvestPatienceNanos;
    }

    /** The trigger of the global ledger, watching the global reclaim queue. */
    static GcTrigger global() {
        return GLOBAL;
    }

    /**
     * Requests a GC; returns whether one was requested in a way the JVM honours.
     *
     * <p>Unless {@code force}d, no GC is requested while the blocks the previous one found are
     * still on their way to the reclaim queue: a sentinel reference, made unreachable just before
     * each GC, tells when the reference handler has got that far. Without this, threads that
     * arrive in the slow path right after a GC ask for another before the first one's blocks
     * are freed (measured in a 1 MiB churn: 85 allocations per GC instead of the 128 that fit).
     */
    boolean request(boolean force) {
        synchronized (lock) {
            if (!force && queue.harvestedEpoch() < epoch && System.nanoTime() - lastGcEnd < harvestPatienceNanos) {
                return false;
            }
            queue.watchForGc(++epoch);
        }
        boolean requested = gc();
        synchronized (lock) {
            lastGcEnd = System.nanoTime();
        }
        return requested;
    }

    /**
     * Whether the blocks that the last GC requested here found may still be on their way to the
     * queue: its sentinel has not come out of it yet.
     */
    boolean harvestPending() {
        synchronized (lock) {
            return queue.harvestedEpoch() < epoch;
        }
    }

    private static boolean gc() {
        if (!ExplicitGc.DISABLED) {
            System.gc();
            return true;
        }
        if (Boolean.getBoolean(OPT_IN_PROPERTY)) {
            return runDiagnosticGc();
        }
        if (WARNED.compareAndSet(false, true)) {
            System.getLogger("io.nativemem").log(System.Logger.Level.WARNING,
                    "Native memory limit reached under -XX:+DisableExplicitGC: System.gc() does nothing, so "
                            + "unreachable buffers are freed only when the heap happens to be collected. Run with -D"
                            + OPT_IN_PROPERTY + "=true to let nativemem request a GC through the "
                            + "DiagnosticCommand MBean (GC.run) when the limit is reached.");
        }
        return false;
    }

    private static boolean runDiagnosticGc() {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcRun",
                    new Object[] {null}, new String[] {String[].class.getName()});
            return true;
        } catch (Exception e) {
            System.getLogger("io.nativemem").log(System.Logger.Level.WARNING,
                    "GC.run through the DiagnosticCommand MBean failed", e);
            return false;
        }
    }
}
