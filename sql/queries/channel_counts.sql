-- description: Songs by pitch-channel and drum-channel count (the model's conditioning).
SELECT pitch_channels, noise_channels, count(*) AS songs
FROM songs
GROUP BY ALL
ORDER BY songs DESC, pitch_channels, noise_channels;
