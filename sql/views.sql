-- Views over the corpus tables, created in corpus.duckdb after the table views
-- (songs, sources, channels, patterns, notes, sequence, instruments, rejects) by `beepbrain ingest`.

-- Every song with how many archive records brought it, and from where.
CREATE OR REPLACE VIEW song_sources AS
SELECT s.song_id, s.fork, s.author, s.tempo, s.rhythm, s.pitch_channels, s.noise_channels,
       count(*) AS source_count,
       list(DISTINCT src.source ORDER BY src.source) AS sources,
       list(DISTINCT src.author ORDER BY src.author) AS authors
FROM songs s JOIN sources src USING (song_id)
GROUP BY ALL;

-- What each ingest batch added.
CREATE OR REPLACE VIEW batches AS
SELECT batch,
       (SELECT count(*) FROM songs s WHERE s.batch = b.batch) AS songs_new,
       count(*) FILTER (WHERE kind = 'source') AS records_accepted,
       count(*) FILTER (WHERE kind = 'reject') AS records_rejected
FROM (SELECT batch, 'source' AS kind FROM sources UNION ALL SELECT batch, 'reject' FROM rejects) b
GROUP BY batch
ORDER BY batch;

-- Pitched notes with their pitch, one row per pitch (notes store absolute pitches; the channel octave is
-- only the editor's scroll bar, as BeepBox reads it).
CREATE OR REPLACE VIEW note_pitches AS
SELECT n.song_id, n.channel, n.pattern, n.note, n.start, n."end",
       unnest(n.pitches) AS pitch
FROM notes n JOIN channels c USING (song_id, channel)
WHERE NOT c.is_noise;
