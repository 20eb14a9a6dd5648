package io.nativemem.internal;

/**
 * The process-wide {@link Reservations}, with the limit read once from
 * {@value MemoryLimit#PROPERTY} (unset: {@code Runtime.getRuntime().maxMemory()}, as the JDK does).
 */
public final class Ledger {

    private Ledger() {
    }

    private static final class Holder {
        static final String RAW = System.getProperty(MemoryLimit.PROPERTY);
        static final Reservations GLOBAL;
        static final IllegalArgumentException MALFORMED;

        static {
            Reservations ledger = null;
            IllegalArgumentException malformed = null;
            try {
                ledger = new Reservations(MemoryLimit.parse(RAW, Runtime.getRuntime().maxMemory()),
                        new Reservations.Reclaimer() {
                            @Override
                            public int reclaimPending() {
                                // Closed GC-managed blocks still held by their cohort count too.
                                return Cohort.flush() + ReclaimQueue.global().drain();
                            }

                            @Override
                            public boolean requestGc(boolean force) {
                                return GcTrigger.global().request(force);
                            }
                        });
            } catch (IllegalArgumentException e) {
                malformed = e;
            }
            GLOBAL = ledger;
            MALFORMED = malformed;
            if (ledger != null) {
                BufferPools.registerLazily();
            }
        }
    }

    /**
     * The global ledger.
     *
     * @throws IllegalArgumentException naming the property and its value, when it is malformed
     *     (every time it is asked: the process never gets a ledger)
     */
    public static Reservations global() {
        Reservations ledger = Holder.GLOBAL;
        if (ledger == null) {
            throw new IllegalArgumentException(Holder.MALFORMED.getMessage());
        }
        return ledger;
    }

    /**
     * Collects (through GC.run, so under {@code -XX:+DisableExplicitGC} too) until no block is
     * live or {@code timeoutMillis} pass; for the command's reports, not for allocations.
     *
     * @return whether the ledger is empty
     */
    public static boolean awaitEmpty(long timeoutMillis) {
        return awaitCount(0, timeoutMillis);
    }

    /**
     * As {@link #awaitEmpty}, until no more than {@code count} blocks are live.
     *
     * @return whether at most {@code count} blocks are live
     */
    public static boolean awaitCount(long count, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (global().snapshot(0, 0).count() > count) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Cohort.flush();
            GcTrigger.collectNow();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Where the limit came from: the property's raw text, or {@code null} when unset. */
    public static String configuredValue() {
        return Holder.RAW;
    }
}
