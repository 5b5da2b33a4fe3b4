using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Volunteer.Protocol;
using Volunteer.Sdk;

namespace Volunteer.Worker.Peers;

/// <summary>
/// The blobs this agent holds, under blobs/ in its state directory, one folder per blob with its manifest: job inputs
/// fetched for leased units, and result payloads kept at the edge until the coordinator has them. A fetch writes each
/// verified chunk in place and records it, so a fetch cut short resumes where it stopped; a blob is visible (readable
/// by units, served whole, advertised) only once every chunk is in and the whole blob matched its digest.
/// The cache keeps to <see cref="WorkerOptions.CacheBytes"/> by evicting the least recently used blobs that are not
/// pinned: by a leased unit that reads them (while the lease is in the inbox), or as a result the coordinator has not
/// released (for at most <see cref="ResultPinLifetime"/>). It also keeps what changed since the coordinator last took
/// an advert of its holdings.
/// </summary>
public sealed class BlobCache
{
    public const string FolderName = "blobs";

    /// <summary>How long a result stays pinned when the coordinator never says it has it.</summary>
    public static readonly TimeSpan ResultPinLifetime = TimeSpan.FromDays(1);

    private const string ManifestFile = "manifest.json";
    private const string BlobFile = "blob";
    private const string PartialFile = "partial";

    /// <summary>The indexes of the chunks in the partial file, 4 bytes each, appended as each chunk is durably in.</summary>
    private const string HeldFile = "held";

    private const string PinsFile = "pins.json";

    private readonly string _root;
    private long _capacity;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Blobs leased units read, by the leases; a lease pins its blobs before they are fetched.</summary>
    private readonly Dictionary<string, HashSet<ReplicaRef>> _leasePins = new(StringComparer.Ordinal);

    /// <summary>Holdings not yet in an advert the coordinator answered: true for a blob now held, false for one dropped.</summary>
    private readonly Dictionary<string, (bool Held, long Change)> _unadvertised = new(StringComparer.Ordinal);

    private long _changes;
    private bool _everythingUnadvertised;
    private long _used;

    public BlobCache(string stateDirectory, long capacity, TimeProvider time)
    {
        _root = Directory.CreateDirectory(Path.Combine(stateDirectory, FolderName)).FullName;
        _capacity = capacity;
        _time = time;
        foreach (var folder in Directory.GetDirectories(_root))
        {
            if (Load(folder) is { } entry)
            {
                _entries.Add(entry.Manifest.Digest, entry);
                _used += entry.Manifest.Size;
            }
            else
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        // The coordinator's index may know nothing of this agent yet (or something stale): the first advert lists everything.
        SendEverything();
    }

    public long Capacity => Interlocked.Read(ref _capacity);

    /// <summary>
    /// Puts a new capacity in force (the owner changed the disk limit): a smaller one evicts the least recently used
    /// blobs nothing pins until the rest fits, or as far as it can; what stays pinned makes new blobs wait for room.
    /// </summary>
    public void Resize(long capacity)
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _capacity, capacity);
            try
            {
                MakeRoom(0);
            }
            catch (BlobCacheFullException)
            {
                // Pinned blobs hold more than the new capacity; they go as their leases end, and nothing new comes in meanwhile.
            }
        }
    }

    /// <summary>The bytes the cache's blobs take, partial ones counted at their full size (their room is kept for them).</summary>
    public long UsedBytes
    {
        get
        {
            lock (_gate)
            {
                return _used;
            }
        }
    }

    /// <summary>How many complete blobs the cache holds.</summary>
    public int BlobsHeld
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Count(e => e.Complete);
            }
        }
    }

    public bool Holds(string digest)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(digest, out var entry) && entry.Complete;
        }
    }

    /// <summary>
    /// Starts (or resumes) writing a blob by its manifest: null when the cache already holds it whole; otherwise the
    /// partial blob, whose room is kept until it is complete or evicted. Throws <see cref="BlobCacheFullException"/>
    /// when evicting every unpinned blob would not make room.
    /// </summary>
    public PartialBlob? BeginFetch(BlobManifest manifest)
    {
        var digest = manifest.Digest;
        lock (_gate)
        {
            if (_entries.TryGetValue(digest, out var entry))
            {
                if (entry.Complete)
                {
                    entry.LastUsed = _time.GetUtcNow();
                    return null;
                }
                if (entry.Writers > 0)
                {
                    // Two writers would race to publish one file; fetches of a blob are shared instead.
                    throw new InvalidOperationException($"Blob {digest} is already being fetched.");
                }
                entry.Writers++;
                return new PartialBlob(this, entry, [.. Enumerable.Range(0, manifest.Chunks.Count).Where(i => !entry.Held.Contains(i))]);
            }
            entry = Add(manifest);
            entry.Writers++;
            return new PartialBlob(this, entry, [.. Enumerable.Range(0, manifest.Chunks.Count)]);
        }
    }

    /// <summary>
    /// Keeps a result payload as a blob, pinned for <paramref name="replica"/> until the coordinator releases it, the
    /// replica's lease is cancelled, or <see cref="ResultPinLifetime"/> has passed. Returns its manifest.
    /// </summary>
    public BlobManifest StoreResult(ReplicaRef replica, byte[] payload)
    {
        var manifest = BlobManifest.Of(payload);
        var now = _time.GetUtcNow();
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(manifest.Digest, out entry!))
            {
                entry = Add(manifest);
            }
            entry.Results[replica] = now + ResultPinLifetime;
            entry.LastUsed = now;
            SavePins(entry);
            if (entry.Complete)
            {
                return manifest;
            }
            entry.Writers++;
        }
        try
        {
            DurableFile.Write(Path.Combine(entry.Folder, BlobFile), payload);
            lock (_gate)
            {
                Published(entry);
            }
        }
        finally
        {
            lock (_gate)
            {
                entry.Writers--;
            }
        }
        return manifest;
    }

    /// <summary>Opens a complete blob read-only (a unit reading its input, the coordinator pulling a result); null when not held.</summary>
    public FileStream? OpenRead(string digest)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(digest, out var entry) || !entry.Complete)
            {
                return null;
            }
            Used(entry);
            return new FileStream(Path.Combine(entry.Folder, BlobFile), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
    }

    /// <summary>
    /// The bytes of chunk <paramref name="index"/> once this cache has them: at once, or, while a fetch of the blob is
    /// writing it, as soon as that chunk arrives within <paramref name="wait"/>. Null when the chunk is not here by then
    /// (or nothing is fetching the blob). Peers fetching the same blob a little behind this one ask for chunks it is
    /// still fetching: held until the chunk comes, their requests need no polling.
    /// </summary>
    public async Task<byte[]?> ReadChunkAsync(string digest, int index, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + wait;
        while (true)
        {
            Task arrival;
            lock (_gate)
            {
                if (!_entries.TryGetValue(digest, out var entry) || index < 0 || index >= entry.Manifest.Chunks.Count)
                {
                    return null;
                }
                if (entry.Complete || entry.Held.Contains(index))
                {
                    break;
                }
                if (entry.Writers == 0)
                {
                    return null;
                }
                arrival = entry.Arrival.Task;
            }
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return null;
            }
            try
            {
                await arrival.WaitAsync(left, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
        return ReadChunk(digest, index);
    }

    /// <summary>The bytes of chunk <paramref name="index"/> of a blob, complete or partial with that chunk in; null otherwise.</summary>
    public byte[]? ReadChunk(string digest, int index)
    {
        string path;
        long offset;
        int length;
        lock (_gate)
        {
            if (!_entries.TryGetValue(digest, out var entry) || index < 0 || index >= entry.Manifest.Chunks.Count
                || !(entry.Complete || entry.Held.Contains(index)))
            {
                return null;
            }
            path = Path.Combine(entry.Folder, entry.Complete ? BlobFile : PartialFile);
            (offset, length) = (entry.Manifest.ChunkOffset(index), entry.Manifest.ChunkLength(index));
            entry.LastUsed = _time.GetUtcNow();
        }
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var chunk = new byte[length];
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(file, chunk.AsSpan(read), offset + read);
                if (n == 0)
                {
                    return null;
                }
                read += n;
            }
            return chunk;
        }
        catch (FileNotFoundException)
        {
            // Evicted (or published, for a partial one) between the look-up and the read.
            return null;
        }
    }

    /// <summary>Pins the blobs a leased unit reads, fetched or not yet, until <see cref="UnpinLease"/>.</summary>
    public void PinForLease(ReplicaRef lease, IEnumerable<string> digests)
    {
        lock (_gate)
        {
            foreach (var digest in digests)
            {
                if (!_leasePins.TryGetValue(digest, out var leases))
                {
                    _leasePins[digest] = leases = [];
                }
                leases.Add(lease);
            }
        }
    }

    /// <summary>The lease left the inbox (its unit finished, or it was cancelled): its blobs may be evicted, if nothing else needs them.</summary>
    public void UnpinLease(ReplicaRef lease)
    {
        lock (_gate)
        {
            foreach (var (digest, leases) in _leasePins.ToList())
            {
                if (leases.Remove(lease) && leases.Count == 0)
                {
                    _leasePins.Remove(digest);
                }
            }
        }
    }

    /// <summary>
    /// Drops a complete blob found not to be what its digest says (its file was altered on this disk after it was
    /// verified), pinned or not, so that the next fetch gets it whole again; a blob being written is left to its writer.
    /// </summary>
    public void Discard(string digest)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(digest, out var entry) && entry.Complete && entry.Writers == 0)
            {
                Evict(entry);
            }
        }
    }

    /// <summary>The coordinator has these results (<see cref="PeerDirections.Release"/>): their copies here may be evicted.</summary>
    public void Release(IEnumerable<string> digests)
    {
        lock (_gate)
        {
            foreach (var digest in digests)
            {
                if (_entries.TryGetValue(digest, out var entry) && entry.Results.Count > 0)
                {
                    entry.Results.Clear();
                    SavePins(entry);
                }
            }
        }
    }

    /// <summary>No one will ask for this replica's result (its lease was cancelled, or its report refused): unpins it.</summary>
    public void ReleaseResultOf(ReplicaRef replica)
    {
        lock (_gate)
        {
            foreach (var entry in _entries.Values.Where(e => e.Results.Remove(replica)))
            {
                SavePins(entry);
            }
        }
    }

    /// <summary>The changes to advertise: at most <paramref name="max"/> blobs added and as many removed, or everything held.</summary>
    public HoldingsAdvert Advert(int max)
    {
        lock (_gate)
        {
            var changes = _unadvertised.OrderBy(c => c.Value.Change).ToList();
            return new HoldingsAdvert(
                [.. changes.Where(c => c.Value.Held).Take(max).Select(c => c.Key)],
                _everythingUnadvertised ? [] : [.. changes.Where(c => !c.Value.Held).Take(max).Select(c => c.Key)],
                _everythingUnadvertised,
                _changes);
        }
    }

    /// <summary>The coordinator answered a sync with this advert: what it told is known to the index.</summary>
    public void Advertised(HoldingsAdvert advert)
    {
        lock (_gate)
        {
            if (advert.Complete)
            {
                _everythingUnadvertised = false;
            }
            foreach (var digest in advert.Added.Concat(advert.Removed))
            {
                // A blob added or dropped again since the advert was taken is told again.
                if (_unadvertised.TryGetValue(digest, out var change) && change.Change <= advert.Through)
                {
                    _unadvertised.Remove(digest);
                }
            }
        }
    }

    /// <summary>The index does not know what this agent holds (<see cref="PeerDirections.SendHoldings"/>): the next advert lists everything.</summary>
    public void SendEverything()
    {
        lock (_gate)
        {
            _unadvertised.Clear();
            foreach (var entry in _entries.Values.Where(e => e.Complete))
            {
                _unadvertised[entry.Manifest.Digest] = (true, ++_changes);
            }
            _everythingUnadvertised = true;
        }
    }

    /// <summary>Removes the cache folder with everything in it (detach).</summary>
    public static void Delete(string stateDirectory)
    {
        var folder = Path.Combine(stateDirectory, FolderName);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Makes an entry for a blob not held at all, with its room and its manifest on disk.</summary>
    private Entry Add(BlobManifest manifest)
    {
        MakeRoom(manifest.Size);
        var entry = new Entry(manifest, Path.Combine(_root, manifest.Digest[ContentDigest.Prefix.Length..])) { LastUsed = _time.GetUtcNow() };
        Directory.CreateDirectory(entry.Folder);
        DurableFile.Write(Path.Combine(entry.Folder, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, ProtocolJson.Options));
        _entries.Add(manifest.Digest, entry);
        _used += manifest.Size;
        return entry;
    }

    /// <summary>Evicts least recently used blobs nothing pins until <paramref name="size"/> more bytes fit.</summary>
    private void MakeRoom(long size)
    {
        if (_used + size <= _capacity)
        {
            return;
        }
        var now = _time.GetUtcNow();
        foreach (var entry in _entries.Values.Where(e => !IsPinned(e, now)).OrderBy(e => e.LastUsed).ToList())
        {
            Evict(entry);
            if (_used + size <= _capacity)
            {
                return;
            }
        }
        throw new BlobCacheFullException(
            $"The blob cache has no room for {size} more bytes: {_used} of its {_capacity} bytes hold blobs that leased units read or results the project has not taken yet.");
    }

    private bool IsPinned(Entry entry, DateTimeOffset now) =>
        entry.Writers > 0 || _leasePins.ContainsKey(entry.Manifest.Digest) || entry.Results.Values.Any(until => until > now);

    private void Evict(Entry entry)
    {
        Directory.Delete(entry.Folder, recursive: true);
        _entries.Remove(entry.Manifest.Digest);
        _used -= entry.Manifest.Size;
        if (entry.Complete)
        {
            _unadvertised[entry.Manifest.Digest] = (false, ++_changes);
        }
    }

    /// <summary>The blob file is in place and verified: it becomes visible.</summary>
    private void Published(Entry entry)
    {
        entry.Complete = true;
        entry.Pulse();
        entry.Held.Clear();
        // A result stored while a fetch of the same bytes had begun leaves that fetch's files behind.
        File.Delete(Path.Combine(entry.Folder, PartialFile));
        File.Delete(Path.Combine(entry.Folder, HeldFile));
        Used(entry);
        _unadvertised[entry.Manifest.Digest] = (true, ++_changes);
    }

    /// <summary>A complete blob was used now; kept on its file too, so that the order of use survives a restart.</summary>
    private void Used(Entry entry)
    {
        entry.LastUsed = _time.GetUtcNow();
        File.SetLastWriteTimeUtc(Path.Combine(entry.Folder, BlobFile), entry.LastUsed.UtcDateTime);
    }

    private void SavePins(Entry entry) =>
        DurableFile.Write(Path.Combine(entry.Folder, PinsFile),
            JsonSerializer.SerializeToUtf8Bytes(entry.Results.Select(p => new ResultPin(p.Key, p.Value)).ToList(), ProtocolJson.Options));

    /// <summary>The entry a folder holds, as a previous run left it; null for one to delete (not a blob, or its manifest unreadable).</summary>
    private Entry? Load(string folder)
    {
        var digest = ContentDigest.Prefix + Path.GetFileName(folder);
        if (!ContentDigest.IsWellFormed(digest))
        {
            return null;
        }
        // A crash mid-write leaves a temporary file behind; the durable copy, if any, is the other one.
        foreach (var leftover in Directory.GetFiles(folder, "*.tmp"))
        {
            File.Delete(leftover);
        }
        BlobManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BlobManifest>(File.ReadAllBytes(Path.Combine(folder, ManifestFile)), ProtocolJson.Options);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
        if (manifest is null || manifest.Digest != digest || manifest.Problem(long.MaxValue) is not null)
        {
            return null;
        }
        var entry = new Entry(manifest, folder);
        var blob = new FileInfo(Path.Combine(folder, BlobFile));
        if (blob.Exists)
        {
            if (blob.Length != manifest.Size)
            {
                return null;
            }
            entry.Complete = true;
            entry.LastUsed = blob.LastWriteTimeUtc;
        }
        else
        {
            var held = Path.Combine(folder, HeldFile);
            if (File.Exists(held))
            {
                var records = File.ReadAllBytes(held);
                // A record cut short by a crash is not a chunk: its bytes may be half written too.
                for (var at = 0; at + sizeof(int) <= records.Length; at += sizeof(int))
                {
                    var index = BitConverter.ToInt32(records, at);
                    if (index >= 0 && index < manifest.Chunks.Count)
                    {
                        entry.Held.Add(index);
                    }
                }
            }
            entry.LastUsed = new FileInfo(Path.Combine(folder, ManifestFile)).LastWriteTimeUtc;
        }
        var pins = Path.Combine(folder, PinsFile);
        if (File.Exists(pins))
        {
            foreach (var pin in JsonSerializer.Deserialize<List<ResultPin>>(File.ReadAllBytes(pins), ProtocolJson.Options) ?? [])
            {
                entry.Results[pin.Replica] = pin.Until;
            }
        }
        return entry;
    }

    /// <summary>A result blob pinned for a replica until a time.</summary>
    private sealed record ResultPin(ReplicaRef Replica, DateTimeOffset Until);

    internal sealed class Entry(BlobManifest manifest, string folder)
    {
        public BlobManifest Manifest { get; } = manifest;

        public string Folder { get; } = folder;

        public bool Complete { get; set; }

        /// <summary>The chunks of a partial blob that are in.</summary>
        public HashSet<int> Held { get; } = [];

        public DateTimeOffset LastUsed { get; set; }

        /// <summary>Replicas whose result this blob is, with when their pin lapses.</summary>
        public Dictionary<ReplicaRef, DateTimeOffset> Results { get; } = [];

        /// <summary>Fetches (or a result store) writing into it; it is not evicted meanwhile.</summary>
        public int Writers { get; set; }

        /// <summary>Completed (and replaced) whenever a chunk comes in or a writer lets go: what waiting readers wake on.</summary>
        public TaskCompletionSource Arrival { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Wakes the readers waiting for a chunk; called under the cache's lock.</summary>
        public void Pulse()
        {
            var arrived = Arrival;
            Arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);
            arrived.TrySetResult();
        }
    }

    /// <summary>
    /// A blob being written chunk by chunk: each chunk is checked against the manifest and written in place, then
    /// recorded, so that a later fetch resumes after it. Dispose when done writing, published or not.
    /// </summary>
    public sealed class PartialBlob : IDisposable
    {
        private readonly BlobCache _cache;
        private readonly Entry _entry;
        private readonly SafeFileHandle _partial;
        private readonly Lock _held = new();
        private bool _disposed;

        internal PartialBlob(BlobCache cache, Entry entry, IReadOnlyList<int> missing)
        {
            (_cache, _entry, Missing) = (cache, entry, missing);
            _partial = File.OpenHandle(Path.Combine(entry.Folder, PartialFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }

        public BlobManifest Manifest => _entry.Manifest;

        /// <summary>The chunks that were missing when the fetch began (or resumed).</summary>
        public IReadOnlyList<int> Missing { get; }

        /// <summary>Writes chunk <paramref name="index"/> if these bytes are that chunk; false (nothing written) if they are not.</summary>
        public bool TryPut(int index, ReadOnlySpan<byte> chunk)
        {
            if (!Manifest.IsChunk(index, chunk))
            {
                return false;
            }
            RandomAccess.Write(_partial, chunk, Manifest.ChunkOffset(index));
            RandomAccess.FlushToDisk(_partial);
            // Recorded only once the bytes are on disk, so that a recorded chunk is always whole.
            lock (_held)
            {
                using (var held = new FileStream(Path.Combine(_entry.Folder, HeldFile), FileMode.Append, FileAccess.Write))
                {
                    held.Write(BitConverter.GetBytes(index));
                    held.Flush(flushToDisk: true);
                }
                lock (_cache._gate)
                {
                    _entry.Held.Add(index);
                    _entry.Pulse();
                }
            }
            return true;
        }

        /// <summary>
        /// With every chunk in, checks the whole blob against its digest and makes it visible. Throws
        /// InvalidDataException (and drops what was written) when the chunks do not add up to the digest: the manifest lied.
        /// </summary>
        public void Publish()
        {
            lock (_cache._gate)
            {
                if (_entry.Complete)
                {
                    return;
                }
                if (_entry.Held.Count < Manifest.Chunks.Count)
                {
                    throw new InvalidOperationException($"Blob {Manifest.Digest} still lacks {Manifest.Chunks.Count - _entry.Held.Count} chunk(s).");
                }
            }
            RandomAccess.SetLength(_partial, Manifest.Size);
            if (DigestOf(_partial, Manifest.Size) != Manifest.Digest)
            {
                lock (_cache._gate)
                {
                    _entry.Writers--;
                    _disposed = true;
                    _partial.Dispose();
                    _cache.Evict(_entry);
                    _entry.Pulse();
                }
                throw new InvalidDataException($"The chunks of blob {Manifest.Digest} match its manifest but not its digest.");
            }
            File.Move(Path.Combine(_entry.Folder, PartialFile), Path.Combine(_entry.Folder, BlobFile), overwrite: true);
            lock (_cache._gate)
            {
                _cache.Published(_entry);
            }
        }

        public void Dispose()
        {
            lock (_cache._gate)
            {
                if (_disposed)
                {
                    return;
                }
                _disposed = true;
                _entry.Writers--;
                _entry.Pulse();
            }
            _partial.Dispose();
        }

        private static string DigestOf(SafeFileHandle file, long size)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[BlobManifest.DefaultChunkSize];
            for (long at = 0; at < size;)
            {
                var read = RandomAccess.Read(file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - at)), at);
                if (read == 0)
                {
                    break;
                }
                hash.AppendData(buffer, 0, read);
                at += read;
            }
            return ContentDigest.Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
        }
    }
}

/// <summary>What to tell the coordinator of the blobs held: changes since the last advert it answered, or everything.</summary>
/// <param name="Through">The last change the advert covers; later ones are told in a later advert.</param>
public sealed record HoldingsAdvert(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, bool Complete, long Through);

/// <summary>The blob cache cannot make room: what it holds is all pinned.</summary>
public sealed class BlobCacheFullException(string message) : IOException(message);
