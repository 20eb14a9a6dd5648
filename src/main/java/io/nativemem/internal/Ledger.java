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
                                return ReclaimQueue.global().drain();
                            }

                            @Override
                            public boolean requestGc(boolean force) {
                                return GcTrigger.request(force);
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

    /** Where the limit came from: the property's raw text, or {@code null} when unset. */
    public static String configuredValue() {
        return Holder.RAW;
    }
}
