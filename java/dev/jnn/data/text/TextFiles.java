package dev.jnn.data.text;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads whole UTF-8 text files with clear errors: a missing file names itself and what to pass
 * instead, an empty file or one that is not valid UTF-8 is rejected (never decoded with
 * replacement characters).
 */
public final class TextFiles {
  private TextFiles() {}

  /** The file's text; {@code instead} completes "pass ... instead" in the missing-file message (may be null). */
  public static String read(Path file, String instead) throws IOException {
    Objects.requireNonNull(file, "file");
    if (!Files.exists(file))
      throw new FileNotFoundException("text file " + file + " not found" + (instead == null ? "; pass an existing UTF-8 text file" : "; " + instead));
    if (!Files.isRegularFile(file)) throw new IOException("text file " + file + " is not a regular file (a directory?); pass a UTF-8 text file");
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length == 0) throw new IOException("text file " + file + " is empty; pass a file with text in it");
    String s;
    try {
      s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException("text file " + file + " is not valid UTF-8 (" + e.getMessage() + "); convert it, e.g. iconv -t UTF-8", e);
    }
    if (s.startsWith("\uFEFF")) s = s.substring(1);  // byte order mark
    if (s.isBlank()) throw new IOException("text file " + file + " holds only white space; pass a file with text in it");
    return s;
  }

  /** {@link #read(Path, String)} with a generic hint. */
  public static String read(Path file) throws IOException { return read(file, null); }

  /** Throws if {@code text} is null or empty, naming {@code what}. */
  static String requireText(String text, String what) {
    if (text == null) throw new IllegalArgumentException(what + ": text is null");
    if (text.isEmpty()) throw new IllegalArgumentException(what + ": text is empty; pass a non-empty text");
    return text;
  }

  /** "'x' (U+0078)" for messages. */
  static String describe(int cp) {
    String shown = Character.isISOControl(cp) || Character.isWhitespace(cp) ? "" : "'" + new String(Character.toChars(cp)) + "' ";
    return shown + String.format("(U+%04X%s)", cp, Character.getName(cp) == null ? "" : " " + Character.getName(cp));
  }
}
