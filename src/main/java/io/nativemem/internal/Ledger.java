package io.nativemem.internal;

import io.nativemem.internal.jfr.Jfr;
import io.nativemem.internal.jfr.ReservationFailureEvent;
import io.nativemem.internal.jfr.ReservationWaitEvent;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The ledger: admits capacity against the limit, the {@code java.nio.Bits} of nativemem.
 *
 * <p>The counting is {@link CapacityAccount}'s: one total charged against the limit, which a
 * compare-and-set loop that checks before it adds keeps at or below the limit at every instant
 * (Arrow's add-then-check accounting can overshoot briefly; we never do), and part of it held
 * as credit by stripes that threads pick by their id, so that a small reservation and its
 * release cost one compare-and-set each on a cache line that other cores rarely touch. The
 * ledger is the policy around it: what to do when a reservation does not fit.
 *
 * <p>A reservation is either {@link #commit committed} once libc has handed its block out, or
 * {@link #cancel cancelled}. A large reservation (more than one batch of credit, 64 KiB at most)
 * counts towards the peak only once committed: measured, three allocations of 1 TiB that libc
 * refused left a peak of 1 TiB when the peak followed the capacity. A small one is committed for
 * free, and the peak follows small blocks at checkpoints, missing at most the credit outstanding
 * (see {@link CapacityAccount}).
 *
 * <p>Stats: when no operation is under way, every counter of {@link #snapshot} is exact. While
 * operations run, the capacity in use is the total minus the credit that the stripes were seen
 * to hold, read one stripe after another: it may be off by the credit moving between the total
 * and a stripe meanwhile (a batch per move, all credit together at most 1/16 of the limit), and
 * a block freed on another stripe than the one that admitted it may be read freed before it is
 * read admitted (the count stops at zero).
 *
 * <p>Underflow: a release larger than all the ledger charged, or one whose excess credit takes
 * the total below zero, throws {@link IllegalStateException}; a smaller excess hides in credit
 * until the stripes are drained (see {@link CapacityAccount}).
 *
 * <p>When a reservation does not fit, {@link #tryReserve} first drains every stripe's credit
 * back to the total and tries once more: an allocation that fits once credit is drained never
 * fails. Then {@link #reserve} takes the slow path: free what the
 * reclaimer already found unreachable, ask for a GC (one thread at a time, and not while the
 * previous GC's blocks are still arriving), then wait up to 9 times with exponential back-off
 * (1, 2, 4, ... 256 ms: about 0.5 s in all, as {@code Bits} does), waking as soon as any block
 * is released, before it gives up with {@link OutOfMemoryError}. Waiting threads are served
 * first come, first served ({@link Waiters}). While any thread waits, the stripes stay closed:
 * every release goes to the total, where the waiters look for room, and every reservation asks
 * the total, which keeps the room the waiters claimed.
 *
 * <p>After a wait that brought nothing, a waiter asks for another GC only when one may help:
 * blocks were admitted or threads arrived in the slow path since the last GC was requested
 * (either may have dropped garbage it did not see), or the reclaimer freed blocks since (the last
 * GC made progress). Someone must ask again when every thread is waiting, or the garbage that
 * would make room is never collected; asking after every empty wait cost a reservation that
 * cannot succeed 9 GCs and 0.8 s. Now, with nothing else going on, it asks for one (measured:
 * 0.52 to 0.62 s from arrival to the error), and one more only if the slow path ran without any
 * GC of its own reaching its end, whose blocks it then waits for (up to 256 ms, until the
 * reference handler has handed them over).
 */
public final class Ledger {

    /** What the slow path may do to make room: free unreachable blocks, request a GC. */
    public interface Reclaimer {
        /** Nothing to reclaim and no GC to ask for: the slow path can only wait (tests, benchmarks). */
        Reclaimer NONE = new Reclaimer() {
            @Override
            public int reclaimPending() {
                return 0;
            }

            @Override
            public boolean requestGc(boolean force) {
                return false;
            }
        };

        /** Frees every block already found unreachable; returns how many were freed. */
        int reclaimPending();

        /**
         * Asks the runtime for a GC; returns whether a GC was requested. Unless {@code force}d, it
         * may decline when the previous GC's blocks are still on their way.
         */
        boolean requestGc(boolean force);

        /**
         * Whether the blocks that the last GC requested found may still be on their way: the
         * reference handler has not yet handed them all over. False when nothing can tell.
         */
        default boolean harvestPending() {
            return false;
        }
    }

    /** As in {@code java.nio.Bits}: 9 waits of 1, 2, 4, ... 256 ms, about 0.5 s in total. */
    static final int MAX_WAITS = 9;
    /** The last of those waits, 256 ms: how long the slow path waits for a forced GC's blocks. */
    private static final long LONGEST_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1) << (MAX_WAITS - 1);

    private final long limit;
    private final Reclaimer reclaimer;
    private final ReclaimQueue reclaimQueue;

    private final Waiters waiters = new Waiters();
    private final CapacityAccount account;
    private final AtomicLong overhead = new AtomicLong();
    private final LongAdder discardedBlocks = new LongAdder();

    private final LongAdder waitedReservations = new LongAdder();
    private final LongAdder waitedNanos = new LongAdder();
    private final LongAdder failedReservations = new LongAdder();
    private final LongAdder gcRequests = new LongAdder();
    private final LongAdder freedByGc = new LongAdder();

    private final AtomicBoolean gcInFlight = new AtomicBoolean();
    // GC requests are numbered as they start; gcsCompleted is the highest number of one that the
    // runtime did not decline and that ran to its end.
    private final AtomicLong gcsStarted = new AtomicLong();
    private final AtomicLong gcsCompleted = new AtomicLong();
    // What the ledger had seen when the last GC was requested: whether a waiter may expect anything
    // from another one (see gcMayHelp).
    private volatile long activityAtLastGc = -1;
    private volatile long freedByGcAtLastGc;

    /** A ledger whose cleanups go to a queue of its own that no thread serves (tests, benchmarks). */
    public Ledger(long limit, Reclaimer reclaimer) {
        this(limit, reclaimer, ReclaimQueue.unserved());
    }

    /**
     * @param reclaimQueue where the cleanups of what this ledger admits are registered: the GC
     *     hands unreachable arenas and blocks over through it
     */
    public Ledger(long limit, Reclaimer reclaimer, ReclaimQueue reclaimQueue) {
        this(limit, reclaimer, reclaimQueue, CapacityAccount.defaultStripes());
    }

    private Ledger(long limit, Reclaimer reclaimer, ReclaimQueue reclaimQueue, int stripes) {
        this(limit, reclaimer, reclaimQueue, stripes, CapacityAccount.defaultBatch(limit, stripes));
    }

    /**
     * For tests: a ledger with {@code stripes} stripes of credit (a power of two, at least 2) and
     * batches of {@code batch} bytes (a stripe holds at most two), so that a test knows where
     * credit sits; see {@link #tryReserve(int, long)} and {@link #release(int, long, long)}.
     *
     * @throws IllegalArgumentException for a negative limit, a stripe count that is not a power of
     *     two in [2, 65536], or a batch outside [0, 1 MiB)
     */
    public Ledger(long limit, Reclaimer reclaimer, int stripes, long batch) {
        this(limit, reclaimer, ReclaimQueue.unserved(), stripes, batch);
    }

    private Ledger(long limit, Reclaimer reclaimer, ReclaimQueue reclaimQueue, int stripes, long batch) {
        if (limit < 0) {
            throw Errors.invalidSize("limit", limit);
        }
        this.limit = limit;
        this.reclaimer = reclaimer;
        this.reclaimQueue = reclaimQueue;
        this.account = new CapacityAccount(limit, stripes, batch, waiters::signal);
    }

    /** Where the cleanups of the arenas and blocks charged to this ledger are registered. */
    public ReclaimQueue reclaimQueue() {
        return reclaimQueue;
    }

    public long limit() {
        return limit;
    }

    /**
     * Admits {@code bytes} of capacity, or returns {@code false} without changing anything but
     * where credit sits. Never waits. Leaves alone the room that threads waiting in the slow path
     * have claimed. Before it gives up it drains every stripe's credit back to the total: it
     * returns {@code false} only when the reservation does not fit beside the capacity in use and
     * the waiters' claims. The caller then either {@link #commit}s the reservation once its block
     * exists, or {@link #cancel}s it.
     */
    public boolean tryReserve(long bytes) {
        return tryReserveOn(account.stripe(), bytes);
    }

    /**
     * For tests: {@link #tryReserve(long)} through stripe {@code stripe}, whatever the thread.
     *
     * @throws IndexOutOfBoundsException if there is no such stripe
     */
    public boolean tryReserve(int stripe, long bytes) {
        return tryReserveOn(Objects.checkIndex(stripe, account.stripes()), bytes);
    }

    private boolean tryReserveOn(int stripe, long bytes) {
        // The fast path is one compare-and-set on the stripe; everything else is out of line.
        return account.takeCredit(stripe, bytes) || tryReserveSlowly(stripe, bytes);
    }

    private boolean tryReserveSlowly(int stripe, long bytes) {
        if (account.take(stripe, bytes, waiters.claimed())) {
            return true;
        }
        // The room may be held as credit by other stripes: drain it and try once more. Never
        // for a reservation that no draining could fit.
        if (bytes > limit) {
            return false;
        }
        account.close();
        try {
            return account.take(stripe, bytes, waiters.claimed());
        } finally {
            account.open();
        }
    }

    /**
     * The allocation fast path for a block that already exists (carved from a slab): admits and
     * commits a small reservation of {@code bytes} from the credit of the calling thread's stripe
     * with one compare-and-set, or returns {@code false} having changed nothing: the reservation is
     * not small, the credit does not cover it, the stripes are closed, or another thread changed
     * the stripe meanwhile. The caller then takes {@link #reserve} and {@link #commit}. Committing
     * a small reservation costs nothing (see {@link #commit}), so none is needed here.
     */
    public boolean tryReserveFromCredit(long bytes) {
        return account.takeCredit(account.stripe(), bytes);
    }

    /**
     * Records that the block of an admitted reservation exists (libc returned it), so that
     * {@link #release} or {@link #discard} returns it. A large block counts towards the peak from
     * now on; a small one costs nothing here, and the peak sees it at its next checkpoint.
     */
    public void commit(long bytes) {
        account.commit(bytes);
    }

    /**
     * Admits {@code bytes} of capacity, taking the GC-assisted slow path when they do not fit.
     *
     * @throws OutOfMemoryError when the reservation still does not fit after the slow path
     */
    public void reserve(long bytes) {
        if (!tryReserve(bytes)) {
            reserveSlowly(bytes);
        }
    }

    /**
     * Adds {@code delta} (negative: removes) to the bytes the runtime holds beyond the capacity of
     * its blocks: {@code reservedMemory()} is the capacity plus these. They do not count against
     * the limit, which bounds the capacity.
     */
    public void addOverhead(long delta) {
        long left = overhead.addAndGet(delta);
        if (left < 0) {
            throw Errors.overheadUnderflow(delta, left);
        }
    }

    /**
     * Returns the reservations of {@code blocks} {@link #commit committed} blocks that were freed
     * (a closing arena returns all of its blocks at once): to the credit of the thread's stripe,
     * or, while threads wait for room, to the total, waking them.
     *
     * @throws IllegalStateException if the bytes exceed all the ledger charged, or take its total
     *     below zero: a runtime bug
     */
    public void release(long bytes, long blocks) {
        account.give(account.stripe(), bytes, blocks);
    }

    /**
     * For tests: {@link #release(long, long)} through stripe {@code stripe}, whatever the thread.
     *
     * @throws IndexOutOfBoundsException if there is no such stripe
     * @throws IllegalStateException as {@link #release(long, long)} does
     */
    public void release(int stripe, long bytes, long blocks) {
        account.give(Objects.checkIndex(stripe, account.stripes()), bytes, blocks);
    }

    /**
     * Returns a reservation that never got its block (libc refused it, or a step before failed):
     * not counted as freed. A large one never counted in the peak; a small one may have, if a
     * checkpoint fell while libc was being asked.
     *
     * @throws IllegalStateException if the bytes take the total below zero: a runtime bug
     */
    public void cancel(long bytes) {
        account.cancel(account.stripe(), bytes);
        discardedBlocks.increment();
    }

    /**
     * Returns the reservation of a {@link #commit committed} block that never reached its user (a
     * later step failed and freed it): not counted as freed.
     *
     * @throws IllegalStateException as {@link #release(long, long)} does
     */
    public void discard(long bytes) {
        release(bytes, 1);
        discardedBlocks.increment();
    }

    /**
     * Counts an allocation that the ledger admitted but libc refused: like a reservation the limit
     * refused, it ends in {@link OutOfMemoryError} and is a failed reservation. The caller has
     * {@link #cancel}led the reservation and throws.
     */
    public void recordRefusedByLibc(long bytes) {
        recordFailure(bytes, account.inUse());
    }

    /** Counts blocks the runtime's cleaner freed after the GC found them unreachable. */
    public void recordFreedByGc(long blocks) {
        freedByGc.add(blocks);
    }

    private void reserveSlowly(long bytes) {
        // What was allocated when the reservation did not fit, for the wait event: read before
        // anything is reclaimed, so a reclaimer that frees a block meanwhile cannot hide it.
        long allocatedAtStart = account.inUse();
        if (bytes > limit) {
            // No amount of freeing can make room: fail without disturbing the GC.
            fail(bytes);
        }
        if (reclaimer.reclaimPending() > 0 && tryReserve(bytes)) {
            return;
        }
        long start = System.nanoTime();
        waitedReservations.increment();
        long gcsBefore = gcsStarted.get();
        boolean succeeded = false;
        ReservationWaitEvent event = Jfr.started() ? new ReservationWaitEvent() : null;
        if (event != null) {
            event.begin();
        }
        long myGcs = gcRequests.sum();
        int stripe = account.stripe();
        Waiters.Waiter me = waiters.join(bytes);
        // Closed until we leave: no credit hides room from us, and none is taken past our claim.
        account.close();
        try {
            requestGcUnlessInFlight();
            long waitNanos = TimeUnit.MILLISECONDS.toNanos(1);
            for (int waits = 0; waits < MAX_WAITS; waits++, waitNanos <<= 1) {
                if (waits > 0 && gcMayHelp()) {
                    // Nothing freed us during the last wait, but something happened since the last
                    // GC that another one could turn into room. GC requests are shared, so when
                    // every thread is already waiting, nobody else would ask, and the garbage that
                    // would make room is never collected (measured: 4 OOMs in 3 s of 1 MiB churn
                    // under a 64 MiB limit). When nothing happened, another GC would find nothing:
                    // asking after every wait cost a failing reservation 9 GCs and 0.8 s.
                    requestGcUnlessInFlight();
                }
                // A release wakes us early to retry, but only a wait served in full counts:
                // otherwise, under churn, the 9 waits are spent in microseconds.
                if (takeBefore(me, stripe, System.nanoTime() + waitNanos, false)) {
                    succeeded = true;
                    return;
                }
            }
            // Another thread's GC may have started before our garbage was dropped, or may still be
            // running (the first GC.run under -XX:+DisableExplicitGC starts the platform MBean
            // server): before giving up, make sure one GC started after we arrived has run to its
            // end, and give its blocks the time to arrive, one more of our longest waits at most.
            // Without that wait, 4 threads churning 1 MiB under 128 MiB beside 4 busy loops on 2
            // cores failed 7 allocations in 6 runs, all within the first GC requests, while the
            // reference handler had not yet handed over what that forced GC found.
            if (gcsCompleted.get() <= gcsBefore && requestGc(true)
                    && takeBefore(me, stripe, System.nanoTime() + LONGEST_WAIT_NANOS, true)) {
                succeeded = true;
                return;
            }
            fail(bytes);
        } finally {
            waiters.leave(me);
            account.open();
            waitedNanos.add(System.nanoTime() - start);
            if (event != null && event.shouldCommit()) {
                event.size = bytes;
                event.allocated = allocatedAtStart;
                event.limit = limit;
                event.gcsRequested = (int) (gcRequests.sum() - myGcs);
                event.succeeded = succeeded;
                event.commit();
            }
            if (me.interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Frees what the GC found, then takes {@code me}'s bytes if they fit; else waits, woken by
     * every release, and tries again, until {@code end}. With {@code whileHarvestPending}, it stops
     * earlier once the last GC's blocks have all arrived, and looks at least once a millisecond.
     *
     * @return whether the bytes were taken
     */
    private boolean takeBefore(Waiters.Waiter me, int stripe, long end, boolean whileHarvestPending) {
        for (;;) {
            reclaimer.reclaimPending();
            if (account.take(stripe, me.bytes, waiters.claimedAhead(me))) {
                return true;
            }
            long left = end - System.nanoTime();
            if (left <= 0 || whileHarvestPending && !reclaimer.harvestPending()) {
                return false;
            }
            long wait = whileHarvestPending ? Math.min(left, TimeUnit.MILLISECONDS.toNanos(1)) : left;
            me.interrupted |= waiters.await(me, needed -> needed <= limit - account.charged(), wait);
        }
    }

    private void fail(long bytes) {
        long allocated = account.inUse();
        recordFailure(bytes, allocated);
        throw Errors.cannotReserve(bytes, allocated, limit);
    }

    private void recordFailure(long bytes, long allocated) {
        failedReservations.increment();
        ReservationFailureEvent event = Jfr.started() ? new ReservationFailureEvent() : null;
        if (event != null && event.shouldCommit()) {
            event.size = bytes;
            event.allocated = allocated;
            event.limit = limit;
            event.commit();
        }
    }

    /**
     * Only one thread at a time asks for a GC: the others wait for the blocks it will free
     * instead of queueing up behind one another in {@code System.gc()}.
     */
    private void requestGcUnlessInFlight() {
        if (gcInFlight.compareAndSet(false, true)) {
            try {
                requestGc(false);
            } finally {
                gcInFlight.set(false);
            }
        }
    }

    /**
     * Whether a GC requested now may free something that the last one did not: blocks were
     * allocated or threads arrived in the slow path since it was requested (either may have
     * dropped garbage after it looked), or it freed blocks (progress: there may be more). With
     * nothing allocating and nothing to reclaim, a failing reservation thus asks for one GC, as
     * {@code Bits} does.
     */
    private boolean gcMayHelp() {
        return activity() != activityAtLastGc || freedByGc.sum() != freedByGcAtLastGc;
    }

    /** Grows with every reservation admitted and every arrival in the slow path. */
    private long activity() {
        return account.sums().allocated() + waitedReservations.sum();
    }

    private boolean requestGc(boolean force) {
        long activity = activity();
        long freed = freedByGc.sum();
        long number = gcsStarted.incrementAndGet();
        if (!reclaimer.requestGc(force)) {
            // Declined: it must not make a waiter believe that a GC ran after it arrived.
            return false;
        }
        gcRequests.increment();
        activityAtLastGc = activity;
        freedByGcAtLastGc = freed;
        gcsCompleted.accumulateAndGet(number, Math::max);
        return true;
    }

    /**
     * The counters, summed over the stripes; a checkpoint of the peak. Exact when no operation is
     * under way; otherwise see the class comment for how far they may be off. The count and the
     * reserved bytes include reservations still waiting for libc's answer; the peak only the
     * large blocks that libc handed out.
     */
    public Snapshot snapshot(long mappedCount, long mappedBytes) {
        CapacityAccount.Sums sums = account.sums();
        long extra = overhead.get();
        long peak = account.raisePeak(0);
        long byGc = freedByGc.sum();
        return new Snapshot(sums.count(), sums.inUse() + extra, sums.inUse(), limit, peak,
                byGc, sums.released() - byGc - discardedBlocks.sum(), waitedReservations.sum(),
                waitedNanos.sum(), failedReservations.sum(), gcRequests.sum(), mappedCount, mappedBytes);
    }

    /** For tests: the total charged against the limit, credit included; never above the limit. */
    public long charged() {
        return account.charged();
    }

    /** For tests: the credit all stripes hold now. */
    public long credit() {
        return account.credit();
    }

    /**
     * For tests: the credit stripe {@code stripe} holds now.
     *
     * @throws IndexOutOfBoundsException if there is no such stripe
     */
    public long credit(int stripe) {
        return account.credit(Objects.checkIndex(stripe, account.stripes()));
    }

    /** For tests: whether the stripes are closed (a thread waits for room, or drains credit). */
    public boolean creditClosed() {
        return account.closed();
    }

    /** For tests: how many stripes of credit. */
    public int stripes() {
        return account.stripes();
    }

    /** For tests: the bytes of a batch of credit; larger reservations go to the total. */
    public long batch() {
        return account.batch();
    }

    /** The ledger's counters at one instant, exposed publicly as {@code MemoryStats}. */
    public record Snapshot(long count, long reservedMemory, long totalCapacity, long maxMemory,
                           long peakReservedMemory, long freedByGc, long freedExplicitly,
                           long waitedReservations, long waitedNanos, long failedReservations,
                           long gcRequests, long mappedCount, long mappedMemory) {
    }

    private static final class Holder {
        static final String RAW = System.getProperty(MemoryLimit.PROPERTY);
        static final Ledger GLOBAL;
        static final IllegalArgumentException MALFORMED;

        static {
            Ledger ledger = null;
            IllegalArgumentException malformed = null;
            try {
                ledger = new Ledger(MemoryLimit.parse(RAW, Runtime.getRuntime().maxMemory()),
                        new Ledger.Reclaimer() {
                            @Override
                            public int reclaimPending() {
                                // Closed GC-managed blocks still held by their cohort count too.
                                return Cohort.flush() + ReclaimQueue.global().drain();
                            }

                            @Override
                            public boolean requestGc(boolean force) {
                                return GcTrigger.global().request(force);
                            }

                            @Override
                            public boolean harvestPending() {
                                return GcTrigger.global().harvestPending();
                            }
                        }, ReclaimQueue.global());
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
     * The process-wide ledger, with the limit read once from {@value MemoryLimit#PROPERTY} (unset:
     * {@code Runtime.getRuntime().maxMemory()}, as the JDK does). Only the API's entry points reach
     * for it; everything below them is handed the ledger it works for.
     *
     * @throws IllegalArgumentException naming the property and its value, when it is malformed
     *     (every time it is asked: the process never gets a ledger)
     */
    public static Ledger global() {
        Ledger ledger = Holder.GLOBAL;
        if (ledger == null) {
            throw new IllegalArgumentException(Holder.MALFORMED.getMessage());
        }
        return ledger;
    }
}
