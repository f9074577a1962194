-- description: Rejected records by stage and error, with an example record key.
SELECT stage, regexp_replace(error, '[0-9]+', 'N', 'g') AS error_kind, count(*) AS records,
       min(record_key) AS example
FROM rejects
GROUP BY ALL
ORDER BY records DESC;
