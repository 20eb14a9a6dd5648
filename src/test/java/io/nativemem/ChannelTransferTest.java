package io.nativemem;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@code read(ReadableByteChannel)} and {@code write(WritableByteChannel)} move the buffer's own
 * position, so the loops people write for {@code ByteBuffer} work unchanged: with real files and
 * pipes, and past 2 GiB.
 */
class ChannelTransferTest {

    @TempDir
    Path dir;

    private Path abc() throws IOException {
        byte[] bytes = new byte[4096 + 4096 + 100];
        Arrays.fill(bytes, 0, 4096, (byte) 'A');
        Arrays.fill(bytes, 4096, 8192, (byte) 'B');
        Arrays.fill(bytes, 8192, bytes.length, (byte) 'C');
        return Files.write(dir.resolve("abc"), bytes);
    }

    @Test
    void theFillLoopReadsEveryByteOnce() throws IOException {
        Path file = abc();
        try (NativeArena arena = NativeArena.ofConfined();
             ReadableByteChannel channel = new Trickle(FileChannel.open(file), 1000)) {
            NativeBuffer buffer = arena.allocateBuffer(10_000);
            long reads = 0;
            while (buffer.hasRemaining() && buffer.read(channel) >= 0) {
                reads++;
            }
            assertEquals(8292, buffer.position());
            assertEquals(-1, buffer.read(channel), "at the end of the stream");
            buffer.flip();
            assertEquals('A', buffer.get(0));
            assertEquals('B', buffer.get(4096));
            assertEquals('C', buffer.get(8291));
            assertEquals(Files.size(file), buffer.remaining());
            assertEquals(9, reads, "1000 bytes a read, then 292");
        }
    }

    /** A file channel that hands over at most {@code most} bytes a read, as sockets and pipes do. */
    private record Trickle(FileChannel file, int most) implements ReadableByteChannel {
        @Override
        public int read(ByteBuffer dst) throws IOException {
            ByteBuffer part = dst.slice(dst.position(), Math.min(dst.remaining(), most));
            int n = file.read(part);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return file.isOpen();
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    @Test
    void aFileChannelReadsAndWritesWholeBuffers() throws IOException {
        Path file = abc();
        Path copy = dir.resolve("copy");
        try (NativeArena arena = NativeArena.ofShared();
             FileChannel in = FileChannel.open(file);
             FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            NativeBuffer buffer = arena.allocateBuffer(9000).position(10);
            assertEquals(8292, buffer.read(in));
            assertEquals(8302, buffer.position());
            buffer.flip().position(10);
            assertEquals(8292, buffer.write(out));
            assertEquals(8302, buffer.position());
            assertEquals(0, buffer.write(out), "nothing remains");
        }
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy));
    }

    @Test
    void aPipeDeliversWhatWasWrittenWithoutWaitingForMore() throws IOException {
        Pipe pipe = Pipe.open();
        try (NativeArena arena = NativeArena.ofConfined();
             Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
            NativeBuffer out = arena.allocateBuffer(5).put(new byte[] {1, 2, 3, 4, 5}).flip();
            assertEquals(5, out.write(sink));
            NativeBuffer in = arena.allocateBuffer(100);
            // One read returns what is there: it must not block waiting to fill all 100 bytes.
            assertEquals(5, in.read(source));
            assertEquals(5, in.position());
            sink.close();
            assertEquals(-1, in.read(source));
        }
    }

    @Test
    void aFullOrReadOnlyBuffer() throws IOException {
        try (NativeArena arena = NativeArena.ofConfined();
             ReadableByteChannel channel = Channels.newChannel(new ByteArrayInputStream(new byte[10]))) {
            NativeBuffer full = arena.allocateBuffer(4).position(4);
            assertEquals(0, full.read(channel));
            assertThrows(ReadOnlyBufferException.class, () -> arena.allocateBuffer(4).asReadOnlyBuffer().read(channel));
            assertThrows(NullPointerException.class, () -> full.read(null));
        }
    }

    @Test
    void aReadPastTwoGibibytesTakesOneCall() throws IOException {
        long size = (3L << 30) + 5;
        Path sparse = dir.resolve("sparse");
        try (FileChannel channel = FileChannel.open(sparse, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {7}), size - 1);
            channel.write(ByteBuffer.wrap(new byte[] {9}), (2L << 30) + 1);
        }
        try (NativeArena arena = NativeArena.ofConfined(); FileChannel in = FileChannel.open(sparse)) {
            NativeBuffer buffer = arena.allocateBuffer(size);
            assertEquals(size, buffer.read(in));
            assertEquals(size, buffer.position());
            assertEquals(7, buffer.get(size - 1));
            assertEquals(9, buffer.get((2L << 30) + 1));
            assertEquals(0, buffer.get(1L << 30));

            buffer.flip();
            try (FileChannel devNull = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE)) {
                assertEquals(size, buffer.write(devNull));
            }
            assertEquals(size, buffer.position());
        }
    }
}
