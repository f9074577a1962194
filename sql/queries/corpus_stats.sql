-- description: The corpus in one row: songs, records, rejects, notes, and typical shape.
SELECT (SELECT count(*) FROM songs) AS songs,
       (SELECT count(*) FROM sources) AS records_accepted,
       (SELECT count(*) FROM rejects) AS records_rejected,
       (SELECT count(DISTINCT author) FROM sources) AS authors,
       (SELECT sum(note_count) FROM songs) AS notes,
       (SELECT round(avg(tempo), 1) FROM songs) AS mean_tempo,
       (SELECT median(bar_count) FROM songs) AS median_bars,
       (SELECT round(sum(duration_seconds) / 3600, 2) FROM songs) AS hours_of_music;
