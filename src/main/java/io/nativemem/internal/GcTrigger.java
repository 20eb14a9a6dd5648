package io.nativemem.internal;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;

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

    private GcTrigger() {
    }

    /** Whether the JVM ignores {@code System.gc()}; asked once, on the first exhaustion. */
    private static final class ExplicitGc {
        static final boolean DISABLED = readDisabled();

        private static boolean readDisabled() {
            try {
                MBeanServer server = ManagementFactory.getPlatformMBeanServer();
                CompositeData option = (CompositeData) server.invoke(
                        new ObjectName("com.sun.management:type=HotSpotDiagnostic"), "getVMOption",
                        new Object[] {"DisableExplicitGC"}, new String[] {String.class.getName()});
                return Boolean.parseBoolean(String.valueOf(option.get("value")));
            } catch (Exception | LinkageError e) {
                // Not HotSpot, or no management: fall back to the command line.
                return ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+DisableExplicitGC");
            }
        }
    }

    /** Requests a GC; returns whether one was requested in a way the JVM honours. */
    static boolean request() {
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
