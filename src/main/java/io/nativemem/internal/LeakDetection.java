package io.nativemem.internal;

import io.nativemem.internal.jfr.Jfr;
import io.nativemem.internal.jfr.LeakEvent;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Reports explicit arenas that became unreachable without {@code close()}, after the cleaner
 * freed them: through {@code System.Logger}, a JFR event and an optional listener (tests turn a
 * report into a failure with it).
 *
 * <p>{@code -Dnativemem.leakDetection=off|sample|all}, default {@code sample}. {@code off}
 * reports nothing and records nothing. {@code sample} reports every leak with its size, and once
 * it has reported one, records where one arena in {@value #SAMPLE_ONE_IN} is created, so that a
 * leak that happens again is reported with the place; a program that never leaks never pays for
 * a stack trace. {@code all} records where every arena was created: a stack trace per arena
 * (measured: 0.7 µs each in JMH, more with deep stacks).
 *
 * <p>Why not sample from the start: a stack trace in one arena of 256 cost a 64 B confined arena
 * about 5 % of its time (JMH, three alternated pairs: 96.5 / 91.3, 97.7 / 96.2, 113.8 / 103.6 ns
 * with and without sampling; perf: 4 to 6 % of the samples walking the stack), and users' stacks
 * are deeper than JMH's.
 */
public final class LeakDetection {

    /** The system property that sets the mode, read once. */
    public static final String PROPERTY = "nativemem.leakDetection";
    static final int SAMPLE_ONE_IN = 256;

    /** What a leak report tells a listener. */
    public interface Listener {
        void leaked(String kind, long blocks, long bytes, StackTraceElement[] createdAt);
    }

    private enum Mode { OFF, SAMPLE, ALL }

    private static final Mode MODE = readMode();
    // In sample mode, whether creation sites are sampled yet: from the first leak reported on.
    private static volatile boolean sampling;
    private static volatile Listener listener;

    private LeakDetection() {
    }

    private static Mode readMode() {
        String value = System.getProperty(PROPERTY, "sample");
        try {
            return Mode.valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            System.getLogger("io.nativemem").log(System.Logger.Level.WARNING,
                    "Ignoring -D" + PROPERTY + "=" + value + " (expected off, sample or all): using sample");
            return Mode.SAMPLE;
        }
    }

    /** Whether leaks are reported at all. */
    public static boolean enabled() {
        return MODE != Mode.OFF;
    }

    /** Where an arena is being created, if this arena is to be traced; otherwise {@code null}. */
    public static Throwable creationSite() {
        if (MODE == Mode.ALL || (sampling && ThreadLocalRandom.current().nextInt(SAMPLE_ONE_IN) == 0)) {
            return new Throwable("arena created here");
        }
        return null;
    }

    /** Replaces the listener; returns the previous one ({@code null}: none). */
    public static Listener setListener(Listener newListener) {
        Listener previous = listener;
        listener = newListener;
        return previous;
    }

    static void report(String kind, long blocks, long bytes, Throwable createdAt) {
        if (MODE == Mode.SAMPLE && !sampling) {
            sampling = true; // from now on, where arenas are created is sampled
        }
        StackTraceElement[] site = createdAt == null ? new StackTraceElement[0] : trimmed(createdAt);
        String where = site.length == 0
                ? " (" + (MODE == Mode.SAMPLE ? "from now on one arena in " + SAMPLE_ONE_IN
                        + " records where it was created; " : "") + "run with -D" + PROPERTY
                        + "=all to record where every arena is created)"
                : "; it was created at:" + Arrays.stream(site).map(e -> "\n\tat " + e).collect(Collectors.joining());
        System.getLogger("io.nativemem").log(System.Logger.Level.WARNING,
                "A " + kind + " arena was not closed: its " + blocks + (blocks == 1 ? " block (" : " blocks (") + bytes
                        + " bytes) were freed by the cleaner once it became unreachable" + where);
        LeakEvent event = Jfr.started() ? new LeakEvent() : null;
        if (event != null && event.shouldCommit()) {
            event.kind = kind;
            event.blocks = blocks;
            event.bytes = bytes;
            event.createdAt = site.length == 0 ? "" : Arrays.stream(site).map(String::valueOf)
                    .collect(Collectors.joining("\n"));
            event.commit();
        }
        Listener current = listener;
        if (current != null) {
            current.leaked(kind, blocks, bytes, site);
        }
    }

    private static boolean isRuntimeFrame(String className) {
        int dot = className.lastIndexOf('.');
        String pkg = dot < 0 ? "" : className.substring(0, dot);
        return pkg.equals("io.nativemem") || pkg.equals("io.nativemem.internal");
    }

    /** The creation stack without the runtime's own frames on top. */
    private static StackTraceElement[] trimmed(Throwable createdAt) {
        StackTraceElement[] all = createdAt.getStackTrace();
        int first = 0;
        while (first < all.length && isRuntimeFrame(all[first].getClassName())) {
            first++;
        }
        return Arrays.copyOfRange(all, first, all.length);
    }
}
