package dev.jnn.data.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A character vocabulary: the distinct Unicode code points of a text (not Java {@code char}s, so
 * characters outside the BMP such as emoji are one symbol), sorted by code point, so the same text
 * always gives the same ids.
 *
 * <p>Unknown-character policy: by default encoding a character the vocabulary lacks throws,
 * naming the character and its position; a vocabulary built {@code withUnknown} reserves id 0 for
 * {@value #UNK} (decoded as U+FFFD) and maps unknown characters to it, the text's characters then
 * taking ids 1..size-1.
 *
 * <pre>{@code
 * CharVocabulary v = CharVocabulary.of(text);              // or fromFile(path), of(text, true) for <unk>
 * int[] ids = v.encode("hello");
 * String back = v.decode(ids);
 * String meta = v.serialize();                             // store in a checkpoint's metadata
 * CharVocabulary w = CharVocabulary.parse(meta);
 * w.requireSame(v, "checkpoint");                          // clear error if built elsewhere
 * }</pre>
 */
public final class CharVocabulary {
  /** Name of the reserved unknown-character symbol. */
  public static final String UNK = "<unk>";
  /** Prefix of {@link #serialize()}'s format. */
  public static final String FORMAT = "jnn-char-vocab/1";

  private final int[] codePoints;  // id -> code point (id 0 is -1 when unk)
  private final Map<Integer, Integer> ids = new HashMap<>();
  private final boolean unknown;

  private CharVocabulary(int[] sortedCodePoints, boolean unknown) {
    this.unknown = unknown;
    int base = unknown ? 1 : 0;
    codePoints = new int[sortedCodePoints.length + base];
    if (unknown) codePoints[0] = -1;
    for (int i = 0; i < sortedCodePoints.length; i++) {
      codePoints[i + base] = sortedCodePoints[i];
      ids.put(sortedCodePoints[i], i + base);
    }
  }

  /** The vocabulary of a text; unknown characters are errors when encoding. */
  public static CharVocabulary of(String text) { return of(text, false); }

  /** The vocabulary of a text; with {@code unknownId} id 0 is {@value #UNK} and unknown characters map to it. */
  public static CharVocabulary of(String text, boolean unknownId) {
    TextFiles.requireText(text, "CharVocabulary.of");
    TreeSet<Integer> set = new TreeSet<>();
    text.codePoints().forEach(set::add);
    return new CharVocabulary(set.stream().mapToInt(Integer::intValue).toArray(), unknownId);
  }

  /** The vocabulary of a UTF-8 text file. */
  public static CharVocabulary fromFile(Path file, boolean unknownId) throws IOException { return of(TextFiles.read(file), unknownId); }

  public static CharVocabulary fromFile(Path file) throws IOException { return fromFile(file, false); }

  /** Number of ids, {@value #UNK} included when present. */
  public int size() { return codePoints.length; }
  public boolean hasUnknown() { return unknown; }
  /** The {@value #UNK} id (0), or -1 without one. */
  public int unknownId() { return unknown ? 0 : -1; }
  public boolean contains(int codePoint) { return ids.containsKey(codePoint); }

  /** The id of a code point: unknown ones give {@link #unknownId()} with the policy, else throw. */
  public int id(int codePoint) {
    Integer i = ids.get(codePoint);
    if (i != null) return i;
    if (unknown) return 0;
    throw new IllegalArgumentException("CharVocabulary: character " + TextFiles.describe(codePoint) + " is not in the vocabulary of " + size()
        + " characters; build the vocabulary from text containing it, or with an <unk> id (CharVocabulary.of(text, true))");
  }

  /** The code point of an id; the {@value #UNK} id gives U+FFFD. */
  public int codePoint(int id) {
    checkId(id, -1);
    return codePoints[id] < 0 ? 0xFFFD : codePoints[id];
  }

  private void checkId(int id, int position) {
    if (id < 0 || id >= codePoints.length)
      throw new IllegalArgumentException("CharVocabulary.decode: id " + id + (position >= 0 ? " at position " + position : "") + " is outside [0, " + size()
          + ") of this vocabulary (ids from another vocabulary or a model with a different output size?)");
  }

  /** Ids of the text's code points, one per code point. */
  public int[] encode(String text) {
    if (text == null) throw new IllegalArgumentException("CharVocabulary.encode: text is null");
    int[] out = new int[text.codePointCount(0, text.length())];
    for (int i = 0, k = 0; i < text.length(); k++) {
      int cp = text.codePointAt(i);
      Integer id = ids.get(cp);
      if (id == null) {
        if (!unknown)
          throw new IllegalArgumentException("CharVocabulary.encode: character " + TextFiles.describe(cp) + " at position " + k + " (char index " + i
              + ", line " + line(text, i) + ") is not in the vocabulary of " + size() + " characters; build the vocabulary from text containing it, "
              + "or with an <unk> id (CharVocabulary.of(text, true))");
        id = 0;
      }
      out[k] = id;
      i += Character.charCount(cp);
    }
    return out;
  }

  private static int line(String s, int end) {
    int n = 1;
    for (int i = 0; i < end; i++) if (s.charAt(i) == '\n') n++;
    return n;
  }

  /** The text of ids (ids must be in [0, size)). */
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder(ids.length);
    for (int i = 0; i < ids.length; i++) {
      checkId(ids[i], i);
      sb.appendCodePoint(codePoint(ids[i]));
    }
    return sb.toString();
  }

  /** The text of float ids (a row of a data set or a model's argmax); each must be a whole number in [0, size). */
  public String decode(float[] ids) {
    int[] r = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != Math.rint(ids[i]) || !Float.isFinite(ids[i]))
        throw new IllegalArgumentException("CharVocabulary.decode: id " + ids[i] + " at position " + i + " is not a whole number");
      r[i] = (int) ids[i];
    }
    return decode(r);
  }

  /** A one-line string for checkpoint metadata: {@code jnn-char-vocab/1 unk=0|1 hex,hex,...}. */
  public String serialize() {
    StringBuilder sb = new StringBuilder(FORMAT).append(" unk=").append(unknown ? 1 : 0).append(' ');
    for (int i = unknown ? 1 : 0; i < codePoints.length; i++) {
      if (i > (unknown ? 1 : 0)) sb.append(',');
      sb.append(Integer.toHexString(codePoints[i]));
    }
    return sb.toString();
  }

  /** The vocabulary of {@link #serialize()}'s string; throws naming what is malformed. */
  public static CharVocabulary parse(String s) {
    if (s == null) throw new IllegalArgumentException("CharVocabulary.parse: null string");
    String[] parts = s.split(" ", -1);
    if (parts.length != 3 || !parts[0].equals(FORMAT) || !(parts[1].equals("unk=0") || parts[1].equals("unk=1")))
      throw new IllegalArgumentException("CharVocabulary.parse: not a serialized character vocabulary (expected '" + FORMAT + " unk=0|1 hex,...'), got '"
          + abbreviate(s) + "'");
    if (parts[2].isEmpty()) throw new IllegalArgumentException("CharVocabulary.parse: the vocabulary holds no characters");
    String[] hex = parts[2].split(",", -1);
    int[] cps = new int[hex.length];
    for (int i = 0; i < hex.length; i++) {
      try {
        cps[i] = Integer.parseInt(hex[i], 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("CharVocabulary.parse: entry " + i + " '" + abbreviate(hex[i]) + "' is not a hexadecimal code point");
      }
      if (!Character.isValidCodePoint(cps[i])) throw new IllegalArgumentException("CharVocabulary.parse: entry " + i + " " + hex[i] + " is not a code point");
      if (i > 0 && cps[i] <= cps[i - 1])
        throw new IllegalArgumentException("CharVocabulary.parse: code points must be strictly increasing, entry " + i + " (" + hex[i] + ") is not");
    }
    return new CharVocabulary(cps, parts[1].equals("unk=1"));
  }

  private static String abbreviate(String s) { return s.length() <= 40 ? s : s.substring(0, 40) + "..."; }

  /**
   * Throws if {@code other} differs from this vocabulary, saying how (size, policy, first
   * differing id); {@code what} names the other one in the message ("the checkpoint's vocabulary").
   */
  public void requireSame(CharVocabulary other, String what) {
    if (other == null) throw new IllegalArgumentException("vocabulary mismatch: " + what + " has no character vocabulary");
    if (equals(other)) return;
    StringBuilder m = new StringBuilder("vocabulary mismatch: " + what + " has " + other.size() + " ids" + (other.unknown ? " (with <unk>)" : "")
        + ", this vocabulary " + size() + (unknown ? " (with <unk>)" : ""));
    for (int i = 0; i < Math.min(size(), other.size()); i++)
      if (codePoints[i] != other.codePoints[i]) {
        m.append("; first difference at id ").append(i).append(": ").append(sym(codePoints[i])).append(" here, ").append(sym(other.codePoints[i]))
            .append(" there");
        break;
      }
    m.append("; ids only mean the same characters with the same vocabulary: reuse the serialized vocabulary (CharVocabulary.parse) instead of rebuilding it");
    throw new IllegalArgumentException(m.toString());
  }

  private static String sym(int cp) { return cp < 0 ? UNK : TextFiles.describe(cp); }

  @Override public boolean equals(Object o) {
    return o instanceof CharVocabulary v && v.unknown == unknown && Arrays.equals(v.codePoints, codePoints);
  }

  @Override public int hashCode() { return Arrays.hashCode(codePoints) * 31 + (unknown ? 1 : 0); }

  @Override public String toString() { return "CharVocabulary(" + size() + " ids" + (unknown ? ", <unk>=0" : "") + ")"; }
}
