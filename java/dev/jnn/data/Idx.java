package dev.jnn.data;

import dev.jnn.tensor.Tensor;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader of the IDX format of MNIST and Fashion-MNIST (LeCun's), raw or gzip-compressed (detected
 * by the gzip magic {@code 1f 8b}, whatever the file name).
 *
 * <p>Layout: a 4-byte big-endian magic {@code 00 00 TT DD} (TT the element type, only {@code 08}
 * = unsigned byte is used by these data sets; DD the number of dimensions), DD big-endian 32-bit
 * dimensions, then the elements row-major. Labels are {@code 0x00000801} (n), images
 * {@code 0x00000803} (n, rows, cols).
 *
 * <p>Every defect is an {@link IOException} naming the file and the problem: empty file, wrong
 * magic, truncated header or body, trailing bytes, corrupt gzip stream, and (in
 * {@link #dataset}) different sample counts in the image and label files.
 *
 * <pre>{@code
 * Tensor x = Idx.images(Path.of("train-images-idx3-ubyte.gz"));  // (60000, 1, 28, 28) in [0, 1]
 * int[] y = Idx.labels(Path.of("train-labels-idx1-ubyte.gz"));   // class ids
 * Dataset train = Idx.dataset(images, labels);                    // features (n, 1, 28, 28), targets (n, 1)
 * }</pre>
 */
public final class Idx {
  private Idx() {}

  /** Magic of an IDX label file: unsigned bytes, one dimension. */
  public static final int LABELS_MAGIC = 0x00000801;
  /** Magic of an IDX image file: unsigned bytes, three dimensions (n, rows, cols). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** The raw contents of an IDX file of unsigned bytes: its dimensions and its elements. */
  public record Array(int[] dims, byte[] data) {
    /** Element i as an unsigned value 0..255. */
    public int get(int i) { return data[i] & 0xff; }
  }

  /** Reads an IDX file of unsigned bytes whose magic must be {@code expectedMagic}. */
  public static Array read(Path file, int expectedMagic) throws IOException {
    Objects.requireNonNull(file, "file");
    if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "IDX file not found");
    long fileSize = Files.size(file);
    if (fileSize == 0) throw new IOException(file + ": empty file, expected an IDX file (magic " + hex(expectedMagic) + ")");
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.mark(2);
      int b0 = raw.read(), b1 = raw.read();
      raw.reset();
      boolean gz = b0 == 0x1f && b1 == 0x8b;
      try (DataInputStream in = new DataInputStream(gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw)) {
        return read(file, in, expectedMagic, gz);
      } catch (ZipException e) {
        throw new IOException(file + ": corrupt gzip stream (" + e.getMessage() + ")", e);
      } catch (EOFException e) {  // a gzip stream that ends before its trailer
        throw new IOException(file + ": truncated gzip stream (" + e.getMessage() + ")", e);
      }
    }
  }

  private static Array read(Path file, DataInputStream in, int expectedMagic, boolean gz) throws IOException {
    String what = file + (gz ? " (gzip)" : "");
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      throw new IOException(what + ": truncated header: fewer than 4 bytes, expected the IDX magic " + hex(expectedMagic));
    }
    if (magic != expectedMagic)
      throw new IOException(what + ": wrong magic " + hex(magic) + ", expected " + hex(expectedMagic) + " (" + describe(expectedMagic)
          + ")" + (magic == IMAGES_MAGIC || magic == LABELS_MAGIC ? ": images and labels files swapped?" : ": not an IDX file of that kind"));
    int rank = magic & 0xff;
    int[] dims = new int[rank];
    long n = 1;
    for (int d = 0; d < rank; d++) {
      try {
        dims[d] = in.readInt();
      } catch (EOFException e) {
        throw new IOException(what + ": truncated header: dimension " + d + " of " + rank + " is missing");
      }
      if (dims[d] < 0) throw new IOException(what + ": corrupt header: dimension " + d + " is negative (" + dims[d] + ")");
      n *= dims[d];
      if (n > Integer.MAX_VALUE - 16) throw new IOException(what + ": corrupt header: dimensions " + Arrays.toString(dims) + " exceed 2^31 elements");
    }
    byte[] data = new byte[(int) n];
    int got = 0;
    try {
      while (got < data.length) {
        int r = in.read(data, got, data.length - got);
        if (r < 0) break;
        got += r;
      }
    } catch (EOFException e) {  // a gzip stream cut short
      // falls through to the truncation message with the bytes read so far
    }
    if (got < data.length)
      throw new IOException(what + ": truncated body: dimensions " + Arrays.toString(dims) + " need " + data.length + " bytes of data, the file holds "
          + got);
    if (in.read() >= 0)
      throw new IOException(what + ": trailing bytes after the " + data.length + " bytes of data that dimensions " + Arrays.toString(dims)
          + " declare (corrupt header?)");
    return new Array(dims, data);
  }

  /** Class ids of an IDX label file ({@code 0x00000801}). */
  public static int[] labels(Path file) throws IOException {
    Array a = read(file, LABELS_MAGIC);
    int[] y = new int[a.data.length];
    for (int i = 0; i < y.length; i++) y[i] = a.data[i] & 0xff;
    return y;
  }

  /** Images of an IDX image file ({@code 0x00000803}) as (n, 1, rows, cols), pixel values scaled to [0, 1]. */
  public static Tensor images(Path file) throws IOException { return images(file, 0f, 1f); }

  /**
   * Images as (n, 1, rows, cols) with {@code (pixel / 255 - mean) / std} (mean 0, std 1: plain [0, 1] scaling).
   */
  public static Tensor images(Path file, float mean, float std) throws IOException {
    if (!(std > 0) || !Float.isFinite(std) || !Float.isFinite(mean))
      throw new IllegalArgumentException("Idx.images: mean must be finite and std finite and > 0, got mean " + mean + ", std " + std);
    Array a = read(file, IMAGES_MAGIC);
    float[] lut = new float[256];
    for (int v = 0; v < 256; v++) lut[v] = (v / 255f - mean) / std;
    float[] x = new float[a.data.length];
    byte[] d = a.data;
    for (int i = 0; i < x.length; i++) x[i] = lut[d[i] & 0xff];
    return Tensor.of(x, a.dims[0], 1, a.dims[1], a.dims[2]);
  }

  /**
   * Images and labels as a data set: features (n, 1, rows, cols) normalized as in
   * {@link #images(Path, float, float)}, targets (n, 1) class ids. Throws if the files hold
   * different numbers of samples.
   */
  public static Dataset dataset(Path imagesFile, Path labelsFile, float mean, float std) throws IOException {
    Tensor x = images(imagesFile, mean, std);
    int[] y = labels(labelsFile);
    if (x.dim(0) != y.length)
      throw new IOException("IDX files disagree: " + imagesFile + " holds " + x.dim(0) + " images but " + labelsFile + " holds " + y.length
          + " labels");
    return Dataset.ofLabels(x, y);
  }

  public static Dataset dataset(Path imagesFile, Path labelsFile) throws IOException { return dataset(imagesFile, labelsFile, 0f, 1f); }

  private static String hex(int v) { return String.format("0x%08x", v); }

  private static String describe(int magic) {
    return magic == IMAGES_MAGIC ? "images: unsigned bytes, 3 dimensions" : magic == LABELS_MAGIC ? "labels: unsigned bytes, 1 dimension" : "IDX";
  }
}
