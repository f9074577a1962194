-- description: Instrument types in use: how many instruments and songs use each.
SELECT type_name, count(*) AS instruments, count(DISTINCT song_id) AS songs
FROM instruments
GROUP BY type_name
ORDER BY instruments DESC;
