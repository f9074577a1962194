-- description: How often each absolute pitch is played on pitch channels (0 = lowest C).
SELECT pitch, count(*) AS notes
FROM note_pitches
GROUP BY pitch
ORDER BY pitch;
