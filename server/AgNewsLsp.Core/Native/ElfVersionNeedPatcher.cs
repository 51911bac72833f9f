using System.Buffers.Binary;
using System.Text;

namespace AgNewsLsp.Native;

/// <summary>
/// Marks symbol-version requirements of an ELF64 shared library as weak (VER_FLG_WEAK in the vna_flags
/// of its Vernaux entry in .gnu.version_r). The dynamic loader then loads the library even where the
/// providing library lacks that version; symbols bound to it still resolve if they exist.
/// Used for TorchSharp 0.107.0's libLibTorchSharp.so, which asks for GLIBCXX_3.4.32 (GCC 13) for one
/// symbol it never calls, so it fails to load on Debian 12 / Ubuntu 22.04 (libstdc++ up to 3.4.30).
/// </summary>
public static class ElfVersionNeedPatcher
{
    public const ushort VerFlagWeak = 0x2;

    public sealed record VersionNeed(string File, string Version, ushort Flags, long FlagsOffset)
    {
        public bool IsWeak => (Flags & VerFlagWeak) != 0;
    }

    /// <summary>Lists every (file, version) requirement in .gnu.version_r with its flags.</summary>
    public static IReadOnlyList<VersionNeed> ReadVersionNeeds(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("Only little-endian ELF64 is supported.");

        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C), shstrndx = U16(elf, 0x3E);
        long SectionHeader(int i) => shoff + (long)i * shentsize;
        long shstrOffset = (long)U64(elf, SectionHeader(shstrndx) + 0x18);

        for (int i = 0; i < shnum; i++)
        {
            long sh = SectionHeader(i);
            string name = CString(elf, shstrOffset + U32(elf, sh));
            if (name != ".gnu.version_r") continue;

            long offset = (long)U64(elf, sh + 0x18);
            int link = (int)U32(elf, sh + 0x28);
            long strtab = (long)U64(elf, SectionHeader(link) + 0x18);
            var needs = new List<VersionNeed>();
            long verneed = offset;
            while (true)
            {
                int count = U16(elf, verneed + 2);
                string file = CString(elf, strtab + U32(elf, verneed + 4));
                long aux = verneed + U32(elf, verneed + 8);
                for (int a = 0; a < count; a++)
                {
                    ushort flags = U16(elf, aux + 4);
                    string version = CString(elf, strtab + U32(elf, aux + 8));
                    needs.Add(new VersionNeed(file, version, flags, aux + 4));
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, verneed + 12);
                if (next == 0) break;
                verneed += next;
            }
            return needs;
        }
        return [];
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on the named versions. Returns how many entries changed (0 when already weak).
    /// </summary>
    public static int MarkWeak(Span<byte> elf, IReadOnlyCollection<string> versions)
    {
        int changed = 0;
        foreach (var need in ReadVersionNeeds(elf))
        {
            if (!versions.Contains(need.Version) || need.IsWeak) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(elf[(int)need.FlagsOffset..], (ushort)(need.Flags | VerFlagWeak));
            changed++;
        }
        return changed;
    }

    private static ushort U16(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(b[(int)at..]);
    private static uint U32(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(b[(int)at..]);
    private static ulong U64(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt64LittleEndian(b[(int)at..]);

    private static string CString(ReadOnlySpan<byte> b, long at)
    {
        var rest = b[(int)at..];
        int end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }
}
