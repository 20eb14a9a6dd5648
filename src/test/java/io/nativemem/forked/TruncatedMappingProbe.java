package io.nativemem.forked;

import io.nativemem.MappedNativeBuffer;
import io.nativemem.NativeArena;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Maps 4 pages of a file, truncates it to 1 page under the mapping, and touches what is gone. */
public final class TruncatedMappingProbe {

    public static void main(String[] args) throws Exception {
        Path file = Files.write(Path.of(args[0]), new byte[4 * 4096]);
        try (NativeArena arena = NativeArena.ofConfined()) {
            MappedNativeBuffer mapped = arena.map(file, FileChannel.MapMode.READ_WRITE, 0, 4 * 4096);
            mapped.put(100, (byte) 7);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(4096);
            }
            attempt("get past the new end", () -> String.valueOf(mapped.get(3 * 4096 + 5)));
            attempt("bulk get past the new end", () -> {
                byte[] bytes = new byte[8192];
                mapped.position(2 * 4096).get(bytes);
                return "read " + bytes.length;
            });
            attempt("before the new end", () -> String.valueOf(mapped.get(100)));
        }
        System.out.println("still running");
    }

    private interface Attempt {
        String run();
    }

    private static void attempt(String what, Attempt attempt) {
        try {
            System.out.println(what + ": " + attempt.run());
        } catch (Throwable t) {
            System.out.println(what + ": " + t);
        }
    }
}
