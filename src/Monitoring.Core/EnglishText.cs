namespace Monitoring.Core;

/// <summary>Checks that a text meant for English readers (nameEn, messageEn, state words) carries no Chinese.</summary>
public static class EnglishText
{
    /// <summary>The first Chinese character or Chinese/full-width punctuation mark in <paramref name="text"/>, or null when there is none.</summary>
    public static string? FirstHan(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (IsHan(c))
            {
                return c.ToString();
            }
        }

        return null;
    }

    /// <summary>CJK ideographs (basic and extension A), CJK symbols and punctuation, and full-width forms.</summary>
    public static bool IsHan(char c) =>
        c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3400' and <= '\u4DBF') or (>= '\u3000' and <= '\u303F') or (>= '\uFF00' and <= '\uFFEF');
}
