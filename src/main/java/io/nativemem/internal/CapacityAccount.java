package io.nativemem.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The capacity charged against the limit, and the blocks admitted and returned: the accounting
 * half of the {@link Ledger}, which never waits (the ledger's slow path is the policy).
 *
 * <p><b>One total, many stripes of credit.</b> The <em>total</em> is everything charged against
 * the limit, and a compare-and-set loop that checks before it adds keeps it at or below the limit
 * at every instant. Part of it is <em>credit</em>: capacity already charged but not yet in use,
 * held by one of {@link #defaultStripes()} stripes. A thread uses the stripe that a hash of its id
 * picks (nothing is kept per thread, so a million virtual threads cost nothing more), and takes a
 * reservation of at most one batch from that stripe's credit with one compare-and-set; a release
 * gives the bytes back to the stripe with one more. Only when a stripe runs dry does it take a new
 * batch from the total (a <em>refill</em>), and only when it holds more than two batches does it
 * give all but one back (a <em>trim</em>). Larger reservations go to the total directly.
 *
 * <p>Measured on 2 loaded cores (LedgerBench, AtomicFloor and LedgerCpuTime side by side, before
 * and after in one session): one shared counter cost 18.7 ns per reserve + commit + release on one
 * thread, 38 to 163 ns per thread on two and 73 to 78 on four, every operation moving its cache
 * line between the cores; the stripes cost 9 to 12 ns (one run 18), 17 to 26 and 35 to 50, and are
 * flat in CPU time (10 to 15 ns at 1, 2 and 4 threads, against 16 to 22 before). The floor of any
 * design that updates shared memory once per reservation and once per release, a CAS and an add
 * on a line of the thread's own, is 5.1 to 5.6 ns here: two locked instructions. Four threads on
 * two cores take turns, so their time per operation is at least twice that.
 *
 * <p><b>What is left above the floor</b> (second round, 64 B on 1 thread, jars run in turn on the
 * same 2 loaded cores; LedgerSteps takes the floor to the ledger a step at a time): a CAS and an
 * add 5.2 to 6.1 ns; a read and a CAS for the release as well 6.0 to 6.8; the stripe hashed from
 * the thread for each 6.5 to 7.4; the words two objects away, as callers reach them 7.1 to 7.9;
 * the ledger 8.5 to 11.5, 1.6 to 2.0 times the floor. The totals sit before the stripes, at
 * indices known when compiling, and each fast path reads {@code words} once: no change beyond the
 * noise (1.63 to 2.00 times the floor, against 1.78 to 1.93). Dropping the release's read of the
 * total changed nothing either (1.73 and 1.60 against 1.80 and 1.65). A release made one blind
 * atomic add to the stripe, without its read and checks, took the ledger to 1.14 and 1.35 times
 * the floor: the release's read, checks and CAS are the largest piece left. That add is not
 * taken: it cannot refuse to carry out of the 21-bit credit and count fields or to land on a
 * closed stripe, so it would need fields as wide as the limit and a fix-up after closing, which
 * the stress tests would have to cover first. Under 5 ns on 1 thread is below the two locked
 * instructions alone here, and 4 threads on 2 cores cannot do under twice the floor.
 *
 * <p><b>A stripe is one {@code long}</b>: credit in bits 0 to 20, blocks admitted in bits 21 to
 * 41, blocks returned in bits 42 to 62, and bit 63 set while the stripes are {@linkplain #close
 * closed}. So one compare-and-set updates credit and counts together, and committing a small block
 * needs no atomic at all. The counters wrap: the operation that would take one past 2<sup>21</sup>
 * - 1 moves its whole count to a total of its kind in the same compare-and-set (a <em>fold</em>,
 * once in two million operations of a stripe), and a snapshot that overlaps a fold reads again.
 * Each stripe, and each total that threads write, has a slot of 128 bytes to itself: two cache
 * lines, as the adjacent-line prefetcher fetches them in pairs.
 *
 * <p><b>The batch</b> is {@code min(64 KiB, limit / (32 x stripes))}, and a stripe holds at most two
 * batches. So all credit together is at most 1/16 of the limit: the first 15/16 fill without the
 * slow path ever running, and the stats, which count credit as free, lag by no more than that
 * while operations run. 64 KiB is 16 blocks of a page between two refills of a thread that only
 * allocates (one whose blocks another thread frees); more would only hold memory idle. Under 32
 * bytes of limit per stripe (256 bytes on 2 cores) the batch is 0 and every reservation but an
 * empty one goes to the total: exactly the ledger of old.
 *
 * <p><b>Closing the stripes</b> is how the slow path makes sure credit never stands in its way: it
 * drains every stripe's credit back to the total and marks the stripes closed, then waits for
 * every refill and trim already under way to finish. While any thread keeps them closed,
 * reservations and releases skip the credit and go to the total, so a waiting thread sees every
 * byte released, and a new small reservation cannot take room that a waiting thread claimed.
 *
 * <p><b>The peak</b> is raised at checkpoints, from the total minus the credit: at every refill,
 * every reservation made while the stripes are closed, every commit of a large reservation, and
 * every snapshot. Between two checkpoints the capacity in use can grow only by using credit, so
 * the peak misses at most the credit outstanding. Large reservations count only from their
 * commit (a reservation libc refuses never reaches the peak, however large); bytes on their way
 * between the total and a stripe are kept apart in counters of their own for the same reason. A
 * small reservation counts from the moment it is taken: one that libc then refuses (a block of
 * 64 KiB or less, when the process is out of memory) may reach the peak if a checkpoint falls
 * between the two, since committing it tells no one.
 *
 * <p><b>Underflow</b>: a release larger than the total (in use plus credit) throws before it
 * changes anything, as does one that takes the total below zero once its stripe's excess credit
 * returns to it. A release of more than was reserved but less than the credit outstanding shows
 * only as the snapshot's capacity in use stopping at zero: credit looks the same however it came.
 * While the stripes are closed, and when the batch is 0, every release reaches the total, and
 * every underflow is caught at once, as before stripes.
 */
final class CapacityAccount {

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Longs per slot: 128 bytes. */
    private static final int SLOT = 16;

    private static final int CREDIT_BITS = 21;
    private static final int COUNTER_BITS = 21;
    static final long COUNTER_MAX = (1L << COUNTER_BITS) - 1;
    private static final long CREDIT_MASK = (1L << CREDIT_BITS) - 1;
    private static final int ALLOCATED_SHIFT = CREDIT_BITS;
    private static final int RELEASED_SHIFT = CREDIT_BITS + COUNTER_BITS;
    private static final long ALLOCATED_ONE = 1L << ALLOCATED_SHIFT;
    private static final long ALLOCATED_MASK = COUNTER_MAX << ALLOCATED_SHIFT;
    private static final long CLOSED = Long.MIN_VALUE;

    /** The largest batch: see the class comment. */
    static final long MAX_BATCH = 64 * 1024;

    // The totals, one slot each before the stripes' slots, at indices known when compiling.
    /** Capacity in use + credit (+ credit on its way between a stripe and the total). */
    private static final int CHARGED = 0;
    /** Bytes that started (IN) and finished (OUT) a move between the total and a stripe's credit. */
    private static final int TRANSIT_IN = 1;
    private static final int TRANSIT_OUT = 2;
    /** Bytes of large reservations admitted (IN) and then committed or cancelled (OUT). */
    private static final int PENDING_IN = 3;
    private static final int PENDING_OUT = 4;
    private static final int PEAK = 5;
    /** The counts folded out of the stripes. */
    private static final int FOLDED_ALLOCATED = 6;
    private static final int FOLDED_RELEASED = 7;
    private static final int FOLDS_STARTED = 8;
    private static final int FOLDS_FINISHED = 9;
    private static final int TOTALS = 10;

    private final long limit;
    private final int stripes;
    private final long batch;
    private final long bound;
    private final long[] words;
    private final int stripeShift;
    private final Runnable roomReturned;

    private final Object gate = new Object();
    private int closers; // guarded by gate

    /**
     * @param stripes how many stripes of credit: a power of two, at least 2
     * @param batch the credit a refill takes beyond the reservation that asked for it; a stripe
     *     holds at most two batches, and a reservation larger than one goes to the total
     * @param roomReturned run whenever bytes return to the total: threads waiting for room may fit
     */
    CapacityAccount(long limit, int stripes, long batch, Runnable roomReturned) {
        if (stripes < 2 || stripes > 1 << 16 || Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("Invalid stripes: " + stripes + " (must be a power of two in [2, 65536])");
        }
        if (batch < 0 || 2 * batch > CREDIT_MASK) {
            throw new IllegalArgumentException("Invalid batch: " + batch + " (must be in [0, " + CREDIT_MASK / 2 + "])");
        }
        this.limit = limit;
        this.stripes = stripes;
        this.batch = batch;
        this.bound = 2 * batch;
        this.roomReturned = roomReturned;
        // A slot of padding before the first and after the last: the array's header and whatever
        // the heap puts next stay off the lines that threads write.
        this.words = new long[(stripes + TOTALS + 2) * SLOT];
        this.stripeShift = 64 - Integer.numberOfTrailingZeros(stripes);
    }

    /** 4 stripes per core, rounded up to a power of two: 8 on 2 cores, 256 on 64. */
    static int defaultStripes() {
        int cpus = Math.max(1, Math.min(1 << 12, Runtime.getRuntime().availableProcessors()));
        return 4 * Integer.highestOneBit(2 * cpus - 1);
    }

    /** {@code min(64 KiB, limit / (32 x stripes))}: see the class comment. */
    static long defaultBatch(long limit, int stripes) {
        return Math.min(MAX_BATCH, limit / (32L * stripes));
    }

    int stripes() {
        return stripes;
    }

    long batch() {
        return batch;
    }

    /**
     * The stripe of the current thread: a Fibonacci hash of its id (the top bits of the id times
     * 2<sup>64</sup> / golden ratio), so that threads created one after another, whose ids follow
     * in sequence, land on different stripes: any 4 of them on 8 stripes, as the JMH workers of
     * LedgerBench do. One multiply and one shift: this sits on the path of every reservation and
     * release, between the thread and the compare-and-set.
     */
    int stripe() {
        return (int) ((Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L) >>> stripeShift);
    }

    // ---- reservations ----

    /** Whether a reservation of {@code bytes} is small: taken from credit, and committed for free. */
    boolean isSmall(long bytes) {
        // Unsigned: a negative size (which callers have validated away) never touches a stripe.
        return Long.compareUnsigned(bytes, batch) <= 0;
    }

    /**
     * The fast path: one compare-and-set takes {@code bytes} from the stripe's credit. Returns
     * {@code false} when the reservation is not small, the credit does not cover it, or another
     * thread changed the stripe meanwhile: then {@link #take} decides.
     */
    boolean takeCredit(int stripe, long bytes) {
        if (!isSmall(bytes)) {
            return false;
        }
        long[] words = this.words;
        int slot = stripeSlot(stripe);
        long word = (long) WORDS.getVolatile(words, slot);
        // A closed stripe holds no credit. A count about to wrap takes the slower path, which folds it.
        return (word & CREDIT_MASK) >= bytes && (word & ALLOCATED_MASK) != ALLOCATED_MASK
                && WORDS.compareAndSet(words, slot, word, word - bytes + ALLOCATED_ONE);
    }

    /**
     * Reserves {@code bytes} through the stripe: from its credit, by a refill, or from the total
     * directly (large reservations, closed stripes), leaving {@code keepFree} bytes of the limit
     * alone. Returns {@code false} when there is no room; other stripes' credit is not touched.
     */
    boolean take(int stripe, long bytes, long keepFree) {
        if (!isSmall(bytes)) {
            return takeFromTotal(stripe, bytes, keepFree, true);
        }
        int slot = stripeSlot(stripe);
        for (;;) {
            long word = get(slot);
            if (word < 0) {
                return takeFromTotal(stripe, bytes, keepFree, false);
            }
            if ((word & CREDIT_MASK) < bytes) {
                return refill(stripe, bytes, keepFree);
            }
            if (casCounting(slot, word, word - bytes, ALLOCATED_SHIFT, 1)) {
                return true;
            }
        }
    }

    /**
     * Takes {@code bytes} and a batch more from the total (or as much as there is, if at least
     * {@code bytes}): {@code bytes} become the reservation, the rest the stripe's credit.
     */
    private boolean refill(int stripe, long bytes, long keepFree) {
        long want = bytes + batch;
        int slot = stripeSlot(stripe);
        // Announced before the stripe is looked at again: a thread that closes the stripes after
        // this look waits for the refill to finish (awaitSettled).
        add(TRANSIT_IN, want);
        if (get(slot) < 0) {
            add(TRANSIT_OUT, want);
            return takeFromTotal(stripe, bytes, keepFree, false);
        }
        long got = charge(want, bytes, keepFree);
        if (got < 0) {
            add(TRANSIT_OUT, want);
            return false;
        }
        long back;
        for (;;) {
            long word = get(slot);
            // Closed meanwhile: the stripe takes no credit, so all but the reservation goes back.
            long credit = word < 0 ? 0 : (word & CREDIT_MASK) + got - bytes;
            long kept = Math.min(credit, bound);
            back = word < 0 ? got - bytes : credit - kept;
            if (casCounting(slot, word, (word & ~CREDIT_MASK) | kept, ALLOCATED_SHIFT, 1)) {
                break;
            }
        }
        if (back > 0) {
            add(CHARGED, -back);
        }
        add(TRANSIT_OUT, want);
        if (back > 0) {
            roomReturned.run();
        }
        raisePeak(bytes);
        return true;
    }

    private boolean takeFromTotal(int stripe, long bytes, long keepFree, boolean large) {
        if (large) {
            // Before the total: a checkpoint that sees these bytes in the total also sees them here.
            add(PENDING_IN, bytes);
        }
        if (charge(bytes, bytes, keepFree) < 0) {
            if (large) {
                add(PENDING_OUT, bytes);
            }
            return false;
        }
        count(stripe, ALLOCATED_SHIFT, 1);
        if (!large) {
            raisePeak(bytes);
        }
        return true;
    }

    /**
     * Adds to the total as much as fits beside {@code keepFree}, up to {@code want}; returns how
     * much, or -1 when not even {@code least} fits. Checks before it adds: the total never
     * exceeds the limit, not even for an instant.
     */
    private long charge(long want, long least, long keepFree) {
        int slot = totalSlot(CHARGED);
        for (;;) {
            long charged = get(slot);
            long room = limit - charged - keepFree;
            if (room < least) {
                return -1;
            }
            long take = Math.min(want, room);
            if (WORDS.weakCompareAndSet(words, slot, charged, charged + take)) {
                return take;
            }
        }
    }

    /** Libc handed out the block of a reservation of {@code bytes}: a large one now counts in the peak. */
    void commit(long bytes) {
        if (!isSmall(bytes)) {
            add(PENDING_OUT, bytes);
            raisePeak(0);
        }
    }

    /**
     * Returns a reservation that never got its block.
     *
     * @throws IllegalStateException if that takes the total below zero: a runtime bug
     */
    void cancel(int stripe, long bytes) {
        if (isSmall(bytes)) {
            give(stripe, bytes, 1);
            return;
        }
        // The total first: the bytes stay pending for as long as they are in it.
        long left = add(CHARGED, -bytes);
        add(PENDING_OUT, bytes);
        count(stripe, RELEASED_SHIFT, 1);
        roomReturned.run();
        if (left < 0) {
            throw Errors.ledgerUnderflow("cancelled", bytes, 1, left);
        }
    }

    // ---- releases ----

    /**
     * Returns {@code bytes} of {@code blocks} freed blocks to the stripe's credit, the excess above
     * two batches to the total; to the total directly while the stripes are closed.
     *
     * @throws IllegalStateException if the release is larger than the total, or takes it below
     *     zero: a runtime bug
     */
    void give(int stripe, long bytes, long blocks) {
        long[] words = this.words;
        long charged = (long) WORDS.getVolatile(words, totalSlot(CHARGED));
        // What is in use, and so what any release can return, is part of the total.
        if ((bytes | blocks) < 0 || bytes > charged) {
            throw Errors.releaseExceedsCharged(bytes, blocks, charged);
        }
        int slot = stripeSlot(stripe);
        for (;;) {
            long word = (long) WORDS.getVolatile(words, slot);
            // An open stripe, credit staying within two batches, and no count about to wrap: one CAS.
            if (word >= 0 && bytes <= bound - (word & CREDIT_MASK) && blocks <= COUNTER_MAX - (word >>> RELEASED_SHIFT)) {
                if (WORDS.compareAndSet(words, slot, word, word + bytes + (blocks << RELEASED_SHIFT))) {
                    return;
                }
            } else if (giveSlowly(slot, word, bytes, blocks)) {
                return;
            }
        }
    }

    /** A release that trims the stripe's credit, folds its count, or finds the stripes closed. */
    private boolean giveSlowly(int slot, long word, long bytes, long blocks) {
        if (word < 0) {
            if (!casCounting(slot, word, word, RELEASED_SHIFT, blocks)) {
                return false;
            }
            long left = add(CHARGED, -bytes);
            roomReturned.run();
            if (left < 0) {
                throw Errors.ledgerUnderflow("released", bytes, blocks, left);
            }
            return true;
        }
        long credit = word & CREDIT_MASK;
        long kept = bytes <= bound - credit ? credit + bytes : batch;
        long back = bytes - (kept - credit);
        if (back > 0) {
            // Before the stripe gives it up: see refill.
            add(TRANSIT_IN, back);
        }
        if (!casCounting(slot, word, (word & ~CREDIT_MASK) | kept, RELEASED_SHIFT, blocks)) {
            if (back > 0) {
                add(TRANSIT_OUT, back);
            }
            return false;
        }
        if (back > 0) {
            long left = add(CHARGED, -back);
            add(TRANSIT_OUT, back);
            roomReturned.run();
            if (left < 0) {
                throw Errors.ledgerUnderflow("released", bytes, blocks, left);
            }
        }
        return true;
    }

    // ---- closing the stripes ----

    /**
     * Drains every stripe's credit back to the total and keeps the stripes closed until every
     * thread that closed them has {@linkplain #open opened} them again. On return, no credit is
     * held and no move between the total and a stripe is under way: every byte not in use is
     * free in the total.
     */
    void close() {
        synchronized (gate) {
            if (closers++ > 0) {
                return;
            }
            long drained = 0;
            for (int s = 0; s < stripes; s++) {
                int slot = stripeSlot(s);
                for (;;) {
                    long word = get(slot);
                    long credit = word & CREDIT_MASK;
                    if (credit > 0) {
                        add(TRANSIT_IN, credit); // before the stripe gives it up: see refill
                    }
                    if (cas(slot, word, (word & ~CREDIT_MASK) | CLOSED)) {
                        drained += credit;
                        break;
                    }
                    if (credit > 0) {
                        add(TRANSIT_OUT, credit);
                    }
                }
            }
            if (drained > 0) {
                add(CHARGED, -drained);
                add(TRANSIT_OUT, drained);
                roomReturned.run();
            }
            awaitSettled();
        }
    }

    /** Undoes one {@link #close}: the last one reopens the stripes, which then refill as they need. */
    void open() {
        synchronized (gate) {
            if (--closers > 0) {
                return;
            }
            for (int s = 0; s < stripes; s++) {
                int slot = stripeSlot(s);
                long word;
                do {
                    word = get(slot);
                } while (!cas(slot, word, word & ~CLOSED));
            }
        }
    }

    /**
     * Waits until no bytes are on their way between the total and a stripe. Every such move
     * announced itself before it last saw its stripe open, so once the stripes are closed only
     * moves already under way remain: two compare-and-sets each, unless the thread lost its core.
     */
    private void awaitSettled() {
        // OUT is read first: equal to IN read after it, nothing was under way when OUT was read.
        for (int spins = 0; get(totalSlot(TRANSIT_OUT)) != get(totalSlot(TRANSIT_IN)); spins++) {
            backOff(spins);
        }
    }

    // ---- reading ----

    /** The total: capacity in use, credit, and credit on its way. */
    long charged() {
        return get(totalSlot(CHARGED));
    }

    /** The credit all stripes hold. */
    long credit() {
        long credit = 0;
        for (int s = 0; s < stripes; s++) {
            credit += get(stripeSlot(s)) & CREDIT_MASK;
        }
        return credit;
    }

    /** The credit stripe {@code stripe} holds. */
    long credit(int stripe) {
        return get(stripeSlot(stripe)) & CREDIT_MASK;
    }

    /** Whether the stripes are closed: all of them are, or none. */
    boolean closed() {
        return get(stripeSlot(0)) < 0;
    }

    /** The capacity in use: exact when no operation is under way, else off by at most the credit on its way. */
    long inUse() {
        long charged = charged();
        return Math.max(0, charged - credit());
    }

    /** The counters summed over the stripes, read so that no fold is counted twice or missed. */
    Sums sums() {
        for (int spins = 0; ; spins++) {
            long finished = get(totalSlot(FOLDS_FINISHED));
            long charged = get(totalSlot(CHARGED));
            long credit = 0;
            long allocated = get(totalSlot(FOLDED_ALLOCATED));
            long released = get(totalSlot(FOLDED_RELEASED));
            for (int s = 0; s < stripes; s++) {
                long word = get(stripeSlot(s));
                credit += word & CREDIT_MASK;
                allocated += (word >>> ALLOCATED_SHIFT) & COUNTER_MAX;
                released += (word >>> RELEASED_SHIFT) & COUNTER_MAX;
            }
            if (get(totalSlot(FOLDS_STARTED)) == finished) {
                return new Sums(Math.max(0, charged - credit), allocated, released);
            }
            backOff(spins);
        }
    }

    /**
     * The counters summed: the capacity in use (credit excluded) and the blocks ever admitted and
     * returned. Exact when no operation is under way.
     */
    record Sums(long inUse, long allocated, long released) {
        /** Live blocks: never below zero, though a block freed on another stripe may be read freed first. */
        long count() {
            return Math.max(0, allocated - released);
        }
    }

    /**
     * A checkpoint of the peak: raises it to the capacity handed out now (the total minus the
     * credit, minus the bytes on their way or still waiting for libc, minus {@code ownPending},
     * the caller's own reservation that libc has not handed out yet). Returns the peak.
     */
    long raisePeak(long ownPending) {
        // OUT before the total, IN after the stripes: whatever was on its way while the total was
        // read is in IN and not yet in OUT, so it is never taken for capacity handed out.
        long out = get(totalSlot(TRANSIT_OUT)) + get(totalSlot(PENDING_OUT));
        long charged = get(totalSlot(CHARGED));
        int peakSlot = totalSlot(PEAK);
        long peak = get(peakSlot);
        if (charged - ownPending <= peak) {
            return peak; // it cannot be higher: spare the stripes a read
        }
        long credit = credit();
        long in = get(totalSlot(TRANSIT_IN)) + get(totalSlot(PENDING_IN));
        long handedOut = charged - credit - (in - out) - ownPending;
        while (handedOut > peak) {
            if (cas(peakSlot, peak, handedOut)) {
                return handedOut;
            }
            peak = get(peakSlot);
        }
        return peak;
    }

    // ---- the words ----

    private static int totalSlot(int total) {
        return (1 + total) * SLOT;
    }

    private static int stripeSlot(int stripe) {
        return (1 + TOTALS + stripe) * SLOT;
    }

    private long get(int index) {
        return (long) WORDS.getVolatile(words, index);
    }

    private boolean cas(int index, long expected, long update) {
        return WORDS.compareAndSet(words, index, expected, update);
    }

    private long add(int total, long delta) {
        int index = totalSlot(total);
        return (long) WORDS.getAndAdd(words, index, delta) + delta;
    }

    /** Counts {@code n} blocks in the counter at {@code shift} of the stripe, leaving its credit alone. */
    private void count(int stripe, int shift, long n) {
        int slot = stripeSlot(stripe);
        long word;
        do {
            word = get(slot);
        } while (!casCounting(slot, word, word, shift, n));
    }

    /**
     * Replaces {@code expected} with {@code updated} (the same word, but for its credit and closed
     * bit) plus {@code n} in the counter at {@code shift}. If the counter would pass
     * {@link #COUNTER_MAX}, the same compare-and-set empties it and its count goes to the folded
     * total; the fold announces itself first, so that {@link #sums} can tell when it overlaps one.
     */
    private boolean casCounting(int slot, long expected, long updated, int shift, long n) {
        long counter = ((updated >>> shift) & COUNTER_MAX) + n;
        if (counter <= COUNTER_MAX) {
            return cas(slot, expected, updated + (n << shift));
        }
        add(FOLDS_STARTED, 1);
        boolean done = cas(slot, expected, updated & ~(COUNTER_MAX << shift));
        if (done) {
            add(shift == ALLOCATED_SHIFT ? FOLDED_ALLOCATED : FOLDED_RELEASED, counter);
        }
        add(FOLDS_FINISHED, 1);
        return done;
    }

    private static void backOff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
