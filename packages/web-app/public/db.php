<?php
// Connection settings come from the task definition: DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD.
function pilot_light_db(int $timeoutSeconds = 2): PDO {
    $dsn = sprintf(
        'mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4',
        getenv('DB_HOST') ?: '127.0.0.1',
        (int) (getenv('DB_PORT') ?: 3306),
        getenv('DB_NAME') ?: 'app'
    );
    return new PDO($dsn, getenv('DB_USER') ?: '', getenv('DB_PASSWORD') ?: '', [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_TIMEOUT => $timeoutSeconds,
    ]);
}
