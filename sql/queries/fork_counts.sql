-- description: Songs and format versions per fork (the archive's `type`).
SELECT fork, variant, format_version, count(*) AS songs
FROM songs
GROUP BY ALL
ORDER BY songs DESC, fork, format_version;
