using System.Runtime.InteropServices;

namespace InfraGuard.Core.Policy;

/// <summary>
/// The two ICU functions identity comparison needs, bound at run time: NFKC_Casefold (<c>unorm2_normalize</c>) and the
/// UTS #39 confusable skeleton (<c>uspoof_getSkeleton</c>). .NET itself runs with invariant globalization here, so
/// <see cref="string.Normalize()"/> leaves non-ASCII text as it is; ICU is the one place with Unicode's normalisation
/// and confusables data. ICU exports version-suffixed symbols (<c>uspoof_open_72</c>), so the library and suffix are
/// probed the way .NET's own ICU shim does. Pure functions of their input; null when ICU failed on a string.
/// </summary>
internal sealed unsafe class IcuUnicode
{
    private const int BufferOverflowError = 15; // U_BUFFER_OVERFLOW_ERROR

    private static readonly Lazy<IcuUnicode?> Loaded = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int> _normalize;
    private readonly delegate* unmanaged<IntPtr, uint, char*, int, char*, int, int*, int> _skeleton;
    private readonly IntPtr _nfkcCasefold;
    private readonly IntPtr _checker;

    private IcuUnicode(IntPtr uc, IntPtr i18n, string suffix, string version)
    {
        var nfkcCasefoldInstance = (delegate* unmanaged<int*, IntPtr>)NativeLibrary.GetExport(uc, "unorm2_getNFKCCasefoldInstance" + suffix);
        var open = (delegate* unmanaged<int*, IntPtr>)NativeLibrary.GetExport(i18n, "uspoof_open" + suffix);
        _normalize = (delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int>)NativeLibrary.GetExport(uc, "unorm2_normalize" + suffix);
        _skeleton = (delegate* unmanaged<IntPtr, uint, char*, int, char*, int, int*, int>)NativeLibrary.GetExport(i18n, "uspoof_getSkeleton" + suffix);
        int status = 0;
        _nfkcCasefold = nfkcCasefoldInstance(&status); // ICU owns this singleton: never closed
        if (status > 0 || _nfkcCasefold == IntPtr.Zero)
        {
            throw new EntryPointNotFoundException($"unorm2_getNFKCCasefoldInstance failed with ICU error {status}");
        }

        status = 0;
        _checker = open(&status); // opened once for the process; const use is thread-safe in ICU
        if (status > 0 || _checker == IntPtr.Zero)
        {
            throw new EntryPointNotFoundException($"uspoof_open failed with ICU error {status}");
        }

        Version = version;
    }

    /// <summary>ICU on this host, or null when it cannot be loaded (identity comparison then fails closed).</summary>
    public static IcuUnicode? Instance => Loaded.Value;

    /// <summary>The ICU major version that was loaded (<c>72</c>), or <c>system</c> for an unversioned library.</summary>
    public string Version { get; }

    /// <summary>NFKC_Casefold of <paramref name="text"/> (UAX #15 + full case folding + default-ignorables removed).</summary>
    public string? NfkcCasefold(string text) => Call(text, _nfkcCasefold);

    /// <summary>The UTS #39 skeleton: two strings that look alike have the same skeleton.</summary>
    public string? Skeleton(string text) => Call(text, IntPtr.Zero);

    /// <summary>Normalises with <paramref name="normalizer"/>, or takes the skeleton when it is zero.</summary>
    private string? Call(string text, IntPtr normalizer)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var capacity = text.Length * 4 + 16;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var buffer = new char[capacity];
            int status = 0;
            int length;
            fixed (char* src = text)
            fixed (char* dest = buffer)
            {
                length = normalizer == IntPtr.Zero
                    ? _skeleton(_checker, 0, src, text.Length, dest, capacity, &status)
                    : _normalize(normalizer, src, text.Length, dest, capacity, &status);
            }

            if (status == BufferOverflowError && length > capacity)
            {
                capacity = length;
                continue;
            }

            return status > 0 || length < 0 || length > capacity ? null : new string(buffer, 0, length);
        }

        return null;
    }

    /// <summary>Newest ICU first, like .NET's shim; then the unversioned system libraries of Windows and macOS.</summary>
    private static IcuUnicode? Probe()
    {
        for (var major = 99; major >= 50; major--)
        {
            var v = major.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (TryOpen($"libicuuc.so.{v}", $"libicui18n.so.{v}", v) is { } icu)
            {
                return icu;
            }
        }

        return TryOpen("libicuuc.so", "libicui18n.so", null)
            ?? TryOpen("icu.dll", "icu.dll", null)
            ?? TryOpen("libicucore.dylib", "libicucore.dylib", null);
    }

    private static IcuUnicode? TryOpen(string ucName, string i18nName, string? major)
    {
        if (!NativeLibrary.TryLoad(ucName, out var uc))
        {
            return null;
        }

        if (!NativeLibrary.TryLoad(i18nName, out var i18n))
        {
            return null;
        }

        var suffixes = major is null ? new[] { "" } : [$"_{major}", ""];
        foreach (var suffix in suffixes)
        {
            if (NativeLibrary.TryGetExport(i18n, "uspoof_getSkeleton" + suffix, out _)
                && NativeLibrary.TryGetExport(uc, "unorm2_getNFKCCasefoldInstance" + suffix, out _))
            {
                try
                {
                    return new IcuUnicode(uc, i18n, suffix, major ?? "system");
                }
                catch (EntryPointNotFoundException)
                {
                    return null;
                }
            }
        }

        return null;
    }
}
